/**
 * ChatKit ids ⇄ origin ids. ChatKit treats ids as opaque strings it echoes back; the origin uses
 * positive integers. The mapping is fixed so any id the client saw (in a stream or a listing)
 * resolves again later:
 *
 * - thread             `thr_<conversation id>`
 * - message            `msg_<message id>`, user and assistant messages alike, in listings and in
 *                      the stream. The origin announces the answer's id in its `start` event
 *                      (`assistant_message_id`), before the first delta, so the streamed item has
 *                      its final id from `thread.item.added` on, whatever else is stored meanwhile.
 * - tool-call workflow `wf_<assistant message id>`: the tool calls stored with that answer.
 *
 * An origin whose `start` leaves `assistant_message_id` out gets the older derivation in the
 * stream: the answer is `msg_<user message id>_reply` and its workflow `wf_<user message id>`, and
 * `…_reply` resolves to "the answer right after that user message". That holds while turns on a
 * thread do not overlap (README, "Item ids").
 *
 * Parsing is strict: anything else (another prefix, a leading zero, a sign, whitespace, a number
 * past 2^53) is "not found", never a guess and never an error that says why.
 */

export { parseThreadId, threadIdFor } from '../../shared/chatkit';

const DIGITS = '([1-9]\\d{0,14})';
const MESSAGE_ID = new RegExp(`^msg_${DIGITS}$`);
const REPLY_ID = new RegExp(`^msg_${DIGITS}_reply$`);

/** A message item id, resolved: a stored message, or "the reply to user message N". */
export type MessageRef = { kind: 'message'; messageId: number } | { kind: 'reply'; userMessageId: number };

export function messageItemId(messageId: number): string {
  return `msg_${messageId}`;
}

/** The stream's id for the answer to `userMessageId`, for origins that do not announce the answer's id. */
export function replyItemId(userMessageId: number): string {
  return `msg_${userMessageId}_reply`;
}

/** The workflow item of the answer `messageId` (or, for older origins' streams, of that user message). */
export function workflowItemId(messageId: number): string {
  return `wf_${messageId}`;
}

export function parseMessageItemId(itemId: string): MessageRef | null {
  const message = MESSAGE_ID.exec(itemId);
  if (message?.[1]) return { kind: 'message', messageId: Number(message[1]) };
  const reply = REPLY_ID.exec(itemId);
  if (reply?.[1]) return { kind: 'reply', userMessageId: Number(reply[1]) };
  return null;
}
