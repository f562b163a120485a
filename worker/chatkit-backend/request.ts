import * as v from 'valibot';
import { CHATKIT_REQUEST_TYPES, ChatkitEnvelopeSchema, ChatkitRequestSchema, type ChatkitRequest, type UserMessageInput } from '../../shared/chatkit';
import { MAX_MESSAGE_LENGTH, tooLongMessage } from '../../shared/origin';
import { ApiError } from '../lib/errors';

/**
 * Reading a ChatKit request body: not JSON / not an envelope / unknown `type` / bad `params` are
 * all `400 bad_request`, each with a message that says which.
 */
export function parseChatkitRequest(body: unknown): ChatkitRequest {
  const envelope = v.safeParse(ChatkitEnvelopeSchema, body);
  if (!envelope.success) throw new ApiError('bad_request', 'Expected a ChatKit request: {"type": "…", "params": {…}}.');
  const { type } = envelope.output;
  if (!(CHATKIT_REQUEST_TYPES as readonly string[]).includes(type)) {
    throw new ApiError('bad_request', `Unknown ChatKit request type "${type.slice(0, 64)}".`);
  }
  const request = v.safeParse(ChatkitRequestSchema, body);
  if (!request.success) throw new ApiError('bad_request', `Invalid params for ${type}: ${describeIssue(request.issues[0])}`);
  return request.output;
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  return `${path ? `${path}: ` : ''}${issue.message}`.slice(0, 300);
}

/** Why a user message cannot be sent: answered in the stream, in words for the user. */
export type UserMessageProblem = { kind: 'unsupported' | 'too_long' | 'empty'; message: string };

export const ATTACHMENTS_UNSUPPORTED = "Attachments aren't supported here yet. Please send your message as text.";

/**
 * The text the origin gets for a ChatKit user message: the `input_text` parts joined as they are
 * (each part keeps its own spacing). Tags, `quoted_text` and `inference_options` are ignored,
 * since the origin has no place for them; attachments are refused rather than silently dropped.
 * The origin's own rules (non-empty after trimming, at most 4000 characters) are checked here, so
 * the user reads why in the chat rather than an HTTP status.
 */
export function originMessageFrom(input: UserMessageInput): string | UserMessageProblem {
  if (input.attachments.length > 0) return { kind: 'unsupported', message: ATTACHMENTS_UNSUPPORTED };
  const text = input.content
    .filter((part) => part.type === 'input_text')
    .map((part) => part.text)
    .join('')
    .trim();
  if (text === '') return { kind: 'empty', message: 'There is nothing to send: please type a message.' };
  if (text.length > MAX_MESSAGE_LENGTH) return { kind: 'too_long', message: tooLongMessage(text.length) };
  return text;
}
