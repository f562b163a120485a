/**
 * ChatKit ids ⇄ origin ids. ChatKit treats ids as opaque strings it echoes back; the origin uses
 * positive integers. The mapping is fixed so any id the client saw (in a stream or a listing)
 * resolves again later:
 *
 * - thread                      `thr_<conversation id>`
 * - user message                `msg_<message id>`
 * - assistant message           `msg_<user message id>_reply`: the answer to that user message. The
 *                               origin names the assistant message only in its final `done` event,
 *                               but ChatKit needs the item's id at `thread.item.added`, before the
 *                               first delta; deriving it from the user message (known from `start`)
 *                               gives the same id in the stream and in every later listing, so the
 *                               client never holds two ids for one message. An assistant message
 *                               that does not directly follow a user message (not produced by the
 *                               reference origin) falls back to `msg_<message id>`, and that form
 *                               also resolves for any assistant message.
 * - tool-call workflow (stream) `wf_<user message id>`: not stored at the origin, never listed.
 *
 * Parsing is strict: anything else (another prefix, a leading zero, a sign, whitespace, a number
 * past 2^53) is "not found", never a guess and never an error that says why.
 */

const DIGITS = '([1-9]\\d{0,14})';
const THREAD_ID = new RegExp(`^thr_${DIGITS}$`);
const MESSAGE_ID = new RegExp(`^msg_${DIGITS}$`);
const REPLY_ID = new RegExp(`^msg_${DIGITS}_reply$`);

/** A message item id, resolved: a stored message, or "the reply to user message N". */
export type MessageRef = { kind: 'message'; messageId: number } | { kind: 'reply'; userMessageId: number };

export function threadIdFor(conversationId: number): string {
  return `thr_${conversationId}`;
}

/** The conversation id of a thread id, or null when it is not one of ours. */
export function parseThreadId(threadId: string): number | null {
  const match = THREAD_ID.exec(threadId);
  return match?.[1] ? Number(match[1]) : null;
}

export function messageItemId(messageId: number): string {
  return `msg_${messageId}`;
}

/** The id of the assistant item that streams the answer to `userMessageId`. */
export function replyItemId(userMessageId: number): string {
  return `msg_${userMessageId}_reply`;
}

export function workflowItemId(userMessageId: number): string {
  return `wf_${userMessageId}`;
}

export function parseMessageItemId(itemId: string): MessageRef | null {
  const message = MESSAGE_ID.exec(itemId);
  if (message?.[1]) return { kind: 'message', messageId: Number(message[1]) };
  const reply = REPLY_ID.exec(itemId);
  if (reply?.[1]) return { kind: 'reply', userMessageId: Number(reply[1]) };
  return null;
}
