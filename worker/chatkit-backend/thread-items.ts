import type { AssistantMessageItem, CustomTask, Thread, ThreadItem, UserMessageItem, WorkflowItem } from '../../shared/chatkit';
import type { Conversation, Message, Task } from '../../shared/origin';
import { messageItemId, parseMessageItemId, threadIdFor, workflowItemId } from './ids';
import { affectedTasks, taskWidgetItem } from './task-widgets';
import { taskForToolCall } from './tool-tasks';

/**
 * The origin's conversations and messages as ChatKit threads and items. Used by the listings and by
 * the stream, so an item looks the same (same id, same shape) whichever way the client got it.
 */

/**
 * A thread with an empty items page (what `thread.created`, `thread.updated`, `threads.list` and
 * `threads.update` carry). An untitled (null or blank) conversation leaves `title` out.
 */
export function threadFromConversation(conversation: Pick<Conversation, 'id' | 'title' | 'created_at'>): Thread {
  return {
    id: threadIdFor(conversation.id),
    ...(conversation.title?.trim() ? { title: conversation.title } : {}),
    created_at: conversation.created_at,
    status: { type: 'active' },
    metadata: {},
    items: { data: [], has_more: false },
  };
}

export function userMessageItem(threadId: string, id: string, text: string, createdAt: string): UserMessageItem {
  // The origin stores plain text only: tags, quotes, attachments and inference options are not
  // kept, so the item says exactly what was sent, in the stream as in any later listing.
  return {
    type: 'user_message',
    id,
    thread_id: threadId,
    created_at: createdAt,
    content: [{ type: 'input_text', text }],
    attachments: [],
    inference_options: {},
  };
}

export function assistantMessageItem(threadId: string, id: string, text: string, createdAt: string): AssistantMessageItem {
  return {
    type: 'assistant_message',
    id,
    thread_id: threadId,
    created_at: createdAt,
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

/** How an answer the user stopped reads after a reload (ChatKit renders markdown). */
export const INTERRUPTED_NOTE = '*(Stopped)*';

function assistantText(message: Message): string {
  if (!message.interrupted) return message.content;
  return message.content.trim() ? `${message.content}\n\n${INTERRUPTED_NOTE}` : INTERRUPTED_NOTE;
}

/** The workflow item that shows `toolCalls` (the same item the live stream built, see stream-turn.ts). */
export function workflowItem(threadId: string, id: string, tasks: readonly CustomTask[], createdAt: string): WorkflowItem {
  const [first] = tasks;
  return {
    type: 'workflow',
    id,
    thread_id: threadId,
    created_at: createdAt,
    workflow: {
      type: 'custom',
      tasks: [...tasks],
      ...(tasks.length === 1 && first?.title ? { summary: { title: first.title } } : {}),
      ...(tasks.length > 1 ? { summary: { title: `Used ${tasks.length} task tools` } } : {}),
      expanded: false,
    },
  };
}

/**
 * A conversation's messages (in the origin's order) as ChatKit items: each message is `msg_<id>`,
 * and an answer that used tools is preceded by its workflow item `wf_<id>`, as in the live stream.
 * An answer whose tools touched tasks is followed by its task widget, whose rows show
 * `currentTasks` (the origin's task list now: read by loadThreadItems in thread-loader.ts).
 */
export function threadItemsFromMessages(conversationId: number, messages: readonly Message[], currentTasks: readonly Task[]): ThreadItem[] {
  const threadId = threadIdFor(conversationId);
  return messages.flatMap((message): ThreadItem[] => {
    const id = messageItemId(message.id);
    if (message.role === 'user') return [userMessageItem(threadId, id, message.content, message.created_at)];
    const answer = assistantMessageItem(threadId, id, assistantText(message), message.created_at);
    if (message.tool_calls.length === 0) return [answer];
    const workflow = workflowItem(threadId, workflowItemId(message.id), message.tool_calls.map(taskForToolCall), message.created_at);
    // Issue 18: the task widget `wg_<id>` follows the answer (task-widgets.ts; rows from `currentTasks`).
    const affected = affectedTasks(message.tool_calls);
    if (affected.length === 0) return [workflow, answer];
    return [workflow, answer, taskWidgetItem(threadId, message.id, affected, currentTasks, message.created_at)];
  });
}

/**
 * Where the item named `itemId` sits in `items`, or -1. Besides the items' own ids, the stream
 * name an older origin's answer had (`msg_<user message id>_reply`) resolves to the answer that
 * follows that user message.
 */
export function indexOfItem(items: readonly ThreadItem[], itemId: string): number {
  const direct = items.findIndex((item) => item.id === itemId);
  if (direct !== -1) return direct;
  const ref = parseMessageItemId(itemId);
  if (ref?.kind !== 'reply') return -1;
  const userIndex = items.findIndex((item) => item.type === 'user_message' && item.id === messageItemId(ref.userMessageId));
  if (userIndex === -1) return -1;
  const next = items.slice(userIndex + 1).findIndex((item) => item.type !== 'workflow');
  return next !== -1 && items[userIndex + 1 + next]?.type === 'assistant_message' ? userIndex + 1 + next : -1;
}
