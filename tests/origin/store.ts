/**
 * The reference origin's in-memory data: tasks, conversations and messages, every row owned by
 * one user (the `X-User-Id` the worker sets). Reads never cross users: a row of another user is
 * reported exactly like a missing one, so ids leak nothing.
 *
 * Ids are positive integers from global counters (messages have their own), like a SQL
 * backend's serial columns. Everything returned is a fresh copy, so callers cannot mutate rows.
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

export interface Message {
  id: number;
  role: MessageRole;
  content: string;
  created_at: string;
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
}

const now = (): string => new Date().toISOString();

function toTask({ id, title, completed, created_at, updated_at }: TaskRow): Task {
  return { id, title, completed, created_at, updated_at };
}

function toConversation({ id, title, created_at, updated_at }: ConversationRow): Conversation {
  return { id, title, created_at, updated_at };
}

function toMessage({ id, role, content, created_at }: MessageRow): Message {
  return { id, role, content, created_at };
}

export class OriginStore {
  private readonly tasks = new Map<number, TaskRow>();
  private readonly conversations = new Map<number, ConversationRow>();
  private readonly messages = new Map<number, MessageRow>();
  private nextTaskId = 1;
  private nextConversationId = 1;
  private nextMessageId = 1;
  private touchCounter = 0;

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
    const row: TaskRow = { id: this.nextTaskId++, title, completed: false, created_at: at, updated_at: at, userId };
    this.tasks.set(row.id, row);
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
    this.tasks.delete(id);
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
      .sort((a, b) => a.id - b.id)
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

  /** Appends a message and bumps the conversation's `updated_at`. */
  addMessage(userId: string, conversationId: number, role: MessageRole, content: string): Message | undefined {
    const conversation = this.ownedConversation(userId, conversationId);
    if (!conversation) return undefined;
    const row: MessageRow = { id: this.nextMessageId++, role, content, created_at: now(), conversationId };
    this.messages.set(row.id, row);
    this.touch(conversation);
    return toMessage(row);
  }

  // --- helpers -----------------------------------------------------------------------------

  private ownedTask(userId: string, id: number): TaskRow | undefined {
    const row = this.tasks.get(id);
    return row?.userId === userId ? row : undefined;
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
