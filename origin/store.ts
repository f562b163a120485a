/**
 * The reference origin's in-memory data: tasks, conversations and messages, every row owned by
 * one user (the `X-User-Id` the worker sets). Reads never cross users: a row of another user is
 * reported exactly like a missing one, so ids leak nothing.
 *
 * Conversation and message ids are positive integers from global counters, like a SQL backend's
 * serial columns. Task ids are numbered per user ("task 1" is each user's first task), since
 * people refer to tasks by that number in the chat. Everything returned is a fresh copy, so
 * callers cannot mutate rows.
 */

export interface Task {
  id: number;
  title: string;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

export interface Conversation {
  id: number;
  title: string;
  created_at: string;
  updated_at: string;
}

export type MessageRole = 'user' | 'assistant';

/** One call of an assistant tool, stored with the answer that made it. */
export interface StoredToolCall {
  name: string;
  arguments: Record<string, unknown>;
  result: unknown;
}

export interface Message {
  id: number;
  role: MessageRole;
  content: string;
  created_at: string;
  /** Assistant messages only, and only when the assistant used tools. */
  tool_calls?: StoredToolCall[];
  /** The client left before the answer was complete: `content` is what had been sent. */
  interrupted?: true;
}

export interface NewMessage {
  role: MessageRole;
  content: string;
  /** An id taken earlier with {@link OriginStore.reserveMessageId}. */
  id?: number;
  tool_calls?: StoredToolCall[];
  interrupted?: boolean;
}

export interface ConversationWithMessages extends Conversation {
  messages: Message[];
}

export interface TaskPatch {
  title?: string;
  completed?: boolean;
}

/** The task operations the assistant's tools use, already scoped to one user. */
export interface TaskTools {
  listTasks(): Task[];
  addTask(title: string): Task;
  updateTask(id: number, patch: TaskPatch): Task | undefined;
  deleteTask(id: number): Task | undefined;
}

interface TaskRow extends Task {
  userId: string;
}

interface ConversationRow extends Conversation {
  userId: string;
  /** Bumped on every change; orders "newest updated first" even within one millisecond. */
  touchedSeq: number;
}

interface MessageRow extends Message {
  conversationId: number;
  /** Storage order. A conversation lists its messages in this order, as a SQL backend ordering
   * by insertion time would: an answer stored late (after a question asked meanwhile) lists after
   * that question, even though its id was reserved earlier. */
  seq: number;
}

const now = (): string => new Date().toISOString();

function toTask({ id, title, completed, created_at, updated_at }: TaskRow): Task {
  return { id, title, completed, created_at, updated_at };
}

function toConversation({ id, title, created_at, updated_at }: ConversationRow): Conversation {
  return { id, title, created_at, updated_at };
}

function toMessage({ id, role, content, created_at, tool_calls, interrupted }: Message): Message {
  return {
    id,
    role,
    content,
    created_at,
    ...(tool_calls && tool_calls.length > 0 ? { tool_calls: structuredClone(tool_calls) } : {}),
    ...(interrupted ? { interrupted } : {}),
  };
}

const taskKey = (userId: string, id: number): string => `${userId}\u0000${id}`;

export class OriginStore {
  private readonly tasks = new Map<string, TaskRow>();
  /** The last task number handed out, per user. */
  private readonly taskNumbers = new Map<string, number>();
  private readonly conversations = new Map<number, ConversationRow>();
  private readonly messages = new Map<number, MessageRow>();
  private nextConversationId = 1;
  private nextMessageId = 1;
  private touchCounter = 0;
  private storeCounter = 0;

  // --- tasks -------------------------------------------------------------------------------

  listTasks(userId: string): Task[] {
    return [...this.tasks.values()].filter((row) => row.userId === userId).map(toTask);
  }

  getTask(userId: string, id: number): Task | undefined {
    const row = this.ownedTask(userId, id);
    return row && toTask(row);
  }

  createTask(userId: string, title: string): Task {
    const at = now();
    const id = (this.taskNumbers.get(userId) ?? 0) + 1;
    this.taskNumbers.set(userId, id);
    const row: TaskRow = { id, title, completed: false, created_at: at, updated_at: at, userId };
    this.tasks.set(taskKey(userId, id), row);
    return toTask(row);
  }

  updateTask(userId: string, id: number, patch: TaskPatch): Task | undefined {
    const row = this.ownedTask(userId, id);
    if (!row) return undefined;
    if (patch.title !== undefined) row.title = patch.title;
    if (patch.completed !== undefined) row.completed = patch.completed;
    row.updated_at = now();
    return toTask(row);
  }

  deleteTask(userId: string, id: number): Task | undefined {
    const row = this.ownedTask(userId, id);
    if (!row) return undefined;
    this.tasks.delete(taskKey(userId, id));
    return toTask(row);
  }

  /** The task operations of one user, for the assistant's tools. */
  taskToolsFor(userId: string): TaskTools {
    return {
      listTasks: () => this.listTasks(userId),
      addTask: (title) => this.createTask(userId, title),
      updateTask: (id, patch) => this.updateTask(userId, id, patch),
      deleteTask: (id) => this.deleteTask(userId, id),
    };
  }

  // --- conversations -----------------------------------------------------------------------

  /** Newest updated first. */
  listConversations(userId: string): Conversation[] {
    return [...this.conversations.values()]
      .filter((row) => row.userId === userId)
      .sort((a, b) => b.touchedSeq - a.touchedSeq)
      .map(toConversation);
  }

  getConversation(userId: string, id: number): Conversation | undefined {
    const row = this.ownedConversation(userId, id);
    return row && toConversation(row);
  }

  /** The conversation with its messages, oldest first. */
  getConversationWithMessages(userId: string, id: number): ConversationWithMessages | undefined {
    const row = this.ownedConversation(userId, id);
    if (!row) return undefined;
    const messages = [...this.messages.values()]
      .filter((message) => message.conversationId === id)
      .sort((a, b) => a.seq - b.seq)
      .map(toMessage);
    return { ...toConversation(row), messages };
  }

  createConversation(userId: string, title: string): Conversation {
    const at = now();
    const row: ConversationRow = {
      id: this.nextConversationId++,
      title,
      created_at: at,
      updated_at: at,
      userId,
      touchedSeq: ++this.touchCounter,
    };
    this.conversations.set(row.id, row);
    return toConversation(row);
  }

  renameConversation(userId: string, id: number, title: string): Conversation | undefined {
    const row = this.ownedConversation(userId, id);
    if (!row) return undefined;
    row.title = title;
    this.touch(row);
    return toConversation(row);
  }

  /** Deletes the conversation and its messages. */
  deleteConversation(userId: string, id: number): boolean {
    if (!this.ownedConversation(userId, id)) return false;
    this.conversations.delete(id);
    for (const [messageId, message] of this.messages) {
      if (message.conversationId === id) this.messages.delete(messageId);
    }
    return true;
  }

  /**
   * Takes the next message id without storing anything: an answer that is stored when it is
   * complete still gets the id it was announced under, and sorts right after its question.
   */
  reserveMessageId(): number {
    return this.nextMessageId++;
  }

  /** Stores a message (under a reserved id if given) and bumps the conversation's `updated_at`. */
  addMessage(userId: string, conversationId: number, message: NewMessage): Message | undefined {
    const conversation = this.ownedConversation(userId, conversationId);
    if (!conversation) return undefined;
    const row: MessageRow = {
      id: message.id ?? this.nextMessageId++,
      role: message.role,
      content: message.content,
      created_at: now(),
      conversationId,
      seq: ++this.storeCounter,
      ...(message.tool_calls && message.tool_calls.length > 0 ? { tool_calls: structuredClone(message.tool_calls) } : {}),
      ...(message.interrupted ? { interrupted: true as const } : {}),
    };
    this.messages.set(row.id, row);
    this.touch(conversation);
    return toMessage(row);
  }

  /** One message of the user's conversation, or undefined (missing, or not theirs). */
  getMessage(userId: string, conversationId: number, messageId: number): Message | undefined {
    if (!this.ownedConversation(userId, conversationId)) return undefined;
    const row = this.messages.get(messageId);
    return row?.conversationId === conversationId ? toMessage(row) : undefined;
  }

  /** Deletes every message of the conversation that comes after `messageId` (for a retry). */
  deleteMessagesAfter(userId: string, conversationId: number, messageId: number): number[] {
    const conversation = this.ownedConversation(userId, conversationId);
    if (!conversation) return [];
    const after = this.messages.get(messageId);
    if (after?.conversationId !== conversationId) return [];
    const dropped: number[] = [];
    for (const [id, row] of this.messages) {
      if (row.conversationId === conversationId && row.seq > after.seq) {
        this.messages.delete(id);
        dropped.push(id);
      }
    }
    if (dropped.length > 0) this.touch(conversation);
    return dropped;
  }

  // --- helpers -----------------------------------------------------------------------------

  private ownedTask(userId: string, id: number): TaskRow | undefined {
    return this.tasks.get(taskKey(userId, id));
  }

  private ownedConversation(userId: string, id: number): ConversationRow | undefined {
    const row = this.conversations.get(id);
    return row?.userId === userId ? row : undefined;
  }

  private touch(row: ConversationRow): void {
    row.updated_at = now();
    row.touchedSeq = ++this.touchCounter;
  }
}
