import type { AssistantMessageItem, Thread, ThreadItem, UserMessageItem } from '../../shared/chatkit';
import type { Conversation, Message } from '../../shared/origin';
import { messageItemId, parseMessageItemId, replyItemId, threadIdFor } from './ids';

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

/**
 * The item id of `messages[index]` (see ids.ts): an assistant message right after a user
 * message is that message's reply, anything else is named by its own id.
 */
function itemIdAt(messages: readonly Message[], index: number): string {
  const message = messages[index]!;
  const previous = messages[index - 1];
  if (message.role === 'assistant' && previous?.role === 'user') return replyItemId(previous.id);
  return messageItemId(message.id);
}

/** A conversation's messages (oldest first, as the origin sends them) as ChatKit items. */
export function threadItemsFromMessages(conversationId: number, messages: readonly Message[]): ThreadItem[] {
  const threadId = threadIdFor(conversationId);
  return messages.map((message, index) => {
    const id = itemIdAt(messages, index);
    return message.role === 'user'
      ? userMessageItem(threadId, id, message.content, message.created_at)
      : assistantMessageItem(threadId, id, message.content, message.created_at);
  });
}

/**
 * Where the item named `itemId` sits in `messages`, or -1. Both forms an assistant message can
 * be named by resolve (`msg_<its id>` and `msg_<user message id>_reply`).
 */
export function indexOfItem(messages: readonly Message[], itemId: string): number {
  const ref = parseMessageItemId(itemId);
  if (!ref) return -1;
  if (ref.kind === 'message') return messages.findIndex((message) => message.id === ref.messageId);
  const userIndex = messages.findIndex((message) => message.id === ref.userMessageId && message.role === 'user');
  if (userIndex === -1) return -1;
  return messages[userIndex + 1]?.role === 'assistant' ? userIndex + 1 : -1;
}
