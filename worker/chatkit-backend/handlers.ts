import * as v from 'valibot';
import {
  isStreamingRequestType,
  type ChatkitRequest,
  type ChatkitRequestOf,
  type ChatkitRequestType,
  type Page,
  type StreamingRequestType,
  type Thread,
  type SyncCustomActionResponse,
  type ThreadItem,
} from '../../shared/chatkit';
import { ConversationUpdateSchema, type ChatRequest, type ChatRetryRequest } from '../../shared/origin';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';
import { parseMessageItemId, parseThreadId } from './ids';
import type { OriginClient } from './origin-client';
import { compareTimes, DEFAULT_PAGE_SIZE, paginate } from './pagination';
import { originMessageFrom } from './request';
import { chatkitEventStream } from './sse';
import { INTERRUPTED_MESSAGE, relayTurnAsChatkitEvents, type ChatTurn } from './stream-turn';
import { customAction, syncCustomAction } from './custom-actions';
import { loadThreadItems } from './thread-loader';
import { indexOfItem, threadFromConversation } from './thread-items';

/**
 * One function per ChatKit request type, answered from the origin's `/api/v1`. Non-streaming
 * types return one JSON document; streaming types return `text/event-stream`. Anything that goes
 * wrong before a stream starts is thrown as an {@link ApiError} (the contract's JSON error); once
 * a stream has started, failures are `error` events.
 */

export interface ChatkitContext {
  client: OriginClient;
  userId: string;
  requestId: string;
  /** Aborted when the browser hangs up; cancels origin calls and ends streams. */
  browserGone: AbortController;
  /** Ask the origin for SSE (default). False asks for its JSON reply, which is then replayed. */
  originStreaming: boolean;
}

type JsonAnswer = Thread | Page<Thread> | Page<ThreadItem> | Record<string, never> | SyncCustomActionResponse;
type NonStreamingRequestType = Exclude<ChatkitRequestType, StreamingRequestType>;

const THREAD_NOT_FOUND = 'Thread not found.';
const MAX_FEEDBACK_ITEMS = 100;

/**
 * The conversation id behind a thread id. A malformed or foreign id reads exactly like a missing
 * (or another user's) thread, which the origin also answers with 404 → the same message.
 */
function conversationIdOf(threadId: string): number {
  const id = parseThreadId(threadId);
  if (id === null) throw new ApiError('not_found', THREAD_NOT_FOUND);
  return id;
}

// --- non-streaming -------------------------------------------------------------------------------

async function getThread(ctx: ChatkitContext, { params }: ChatkitRequestOf<'threads.get_by_id'>): Promise<Thread> {
  const { detail, items } = await loadThreadItems(ctx.client, conversationIdOf(params.thread_id));
  // chatkit-python loads the oldest items, ascending; the client pages on with items.list.
  return { ...threadFromConversation(detail), items: paginate(items, { order: 'asc', limit: DEFAULT_PAGE_SIZE }) };
}

async function listThreads(ctx: ChatkitContext, { params }: ChatkitRequestOf<'threads.list'>): Promise<Page<Thread>> {
  const conversations = await ctx.client.listConversations();
  // ChatKit orders threads by creation (the origin lists by last activity); ids break ties.
  const ascending = [...conversations].sort((a, b) => compareTimes(a.created_at, b.created_at) || a.id - b.id).map(threadFromConversation);
  return paginate(ascending, params);
}

async function listItems(ctx: ChatkitContext, { params }: ChatkitRequestOf<'items.list'>): Promise<Page<ThreadItem>> {
  const { items } = await loadThreadItems(ctx.client, conversationIdOf(params.thread_id));
  return paginate(items, params, (after) => indexOfItem(items, after));
}

async function updateThread(ctx: ChatkitContext, { params }: ChatkitRequestOf<'threads.update'>): Promise<Thread> {
  const conversationId = conversationIdOf(params.thread_id);
  const update = v.safeParse(ConversationUpdateSchema, { title: params.title });
  if (!update.success) throw new ApiError('bad_request', 'The title must be 1 to 200 characters.');
  return threadFromConversation(await ctx.client.renameConversation(conversationId, update.output.title));
}

async function deleteThread(ctx: ChatkitContext, { params }: ChatkitRequestOf<'threads.delete'>): Promise<Record<string, never>> {
  await ctx.client.deleteConversation(conversationIdOf(params.thread_id));
  return {};
}

/**
 * The origin keeps no ratings, so feedback is a structured log line (Workers Logs is where it is
 * read). Only items of the caller's own thread are accepted, so the log never names anyone else's.
 */
async function recordFeedback(ctx: ChatkitContext, { params }: ChatkitRequestOf<'items.feedback'>): Promise<Record<string, never>> {
  if (params.item_ids.length > MAX_FEEDBACK_ITEMS) throw new ApiError('bad_request', `At most ${MAX_FEEDBACK_ITEMS} items per feedback.`);
  const { items } = await loadThreadItems(ctx.client, conversationIdOf(params.thread_id));
  if (params.item_ids.some((itemId) => indexOfItem(items, itemId) === -1)) throw new ApiError('not_found', 'Item not found.');
  logEvent('info', 'chatkit_feedback', {
    kind: params.kind,
    item_ids: params.item_ids,
    thread_id: params.thread_id,
    user_id: ctx.userId,
    request_id: ctx.requestId,
  });
  return {};
}

/** What the web component may send but this backend does not do, in words for the user. */
const UNSUPPORTED = {
  'attachments.create': "Attachments aren't supported here yet.",
  'attachments.delete': "Attachments aren't supported here yet.",
  'input.transcribe': "Dictation isn't supported here yet.",
  'threads.add_client_tool_output': "This assistant doesn't use client tools.",
  'threads.add_structured_input': "This assistant doesn't ask for structured input.",
} as const satisfies Partial<Record<ChatkitRequestType, string>>;
type UnsupportedRequestType = keyof typeof UNSUPPORTED;

function refuseJson(ctx: ChatkitContext, type: UnsupportedRequestType): never {
  logEvent('info', 'chatkit_unsupported', { request_id: ctx.requestId, type });
  throw new ApiError('unsupported_request', UNSUPPORTED[type]);
}

const jsonHandlers: { [T in NonStreamingRequestType]: (ctx: ChatkitContext, request: ChatkitRequestOf<T>) => Promise<JsonAnswer> } = {
  'threads.get_by_id': getThread,
  'threads.list': listThreads,
  'items.list': listItems,
  'threads.update': updateThread,
  'threads.delete': deleteThread,
  'items.feedback': recordFeedback,
  'threads.sync_custom_action': syncCustomAction, // issue 18: custom-actions.ts
  'attachments.create': async (ctx, { type }) => refuseJson(ctx, type),
  'attachments.delete': async (ctx, { type }) => refuseJson(ctx, type),
  'input.transcribe': async (ctx, { type }) => refuseJson(ctx, type),
};

// --- streaming -----------------------------------------------------------------------------------

/** A stream that only says why it cannot do what was asked (`allow_retry: false`: retrying won't help). */
function refusalStream(ctx: ChatkitContext, type: string, message: string): Response {
  logEvent('info', 'chatkit_unsupported', { request_id: ctx.requestId, type });
  return chatkitEventStream(
    async (sink) => {
      sink.send({ type: 'error', code: 'custom', message, allow_retry: false });
    },
    { browserGone: ctx.browserGone, onUnexpectedError: () => undefined },
  );
}

/**
 * Sends the message to the origin first and only then opens the stream: an unknown thread, an
 * origin that is down or slow, are still plain JSON errors (404 / 502 / 504) at that point.
 */
async function chatTurn(
  ctx: ChatkitContext,
  type: StreamingRequestType,
  request: ChatRequest | ChatRetryRequest,
  turnOf: Pick<ChatTurn, 'kind' | 'message' | 'removedItemIds'>,
): Promise<Response> {
  const source = await ctx.client.sendChat(request, ctx.originStreaming);
  const turn: ChatTurn = { ...turnOf, client: ctx.client, requestId: ctx.requestId };
  return chatkitEventStream((sink) => relayTurnAsChatkitEvents(sink, source, turn), {
    browserGone: ctx.browserGone,
    onUnexpectedError: (error, sink) => {
      logEvent('error', 'chatkit_stream_crashed', { request_id: ctx.requestId, type, error: error instanceof Error ? error.message : String(error) });
      // Whether the origin stored the question is unknown here, so a retry might be refused.
      sink.send({ type: 'error', code: 'custom', message: INTERRUPTED_MESSAGE, allow_retry: false });
    },
  });
}

async function createThread(ctx: ChatkitContext, { type, params }: ChatkitRequestOf<'threads.create'>): Promise<Response> {
  const message = originMessageFrom(params.input);
  if (typeof message !== 'string') return refusalStream(ctx, type, message.message);
  return chatTurn(ctx, type, { message }, { kind: 'create', message });
}

async function addUserMessage(ctx: ChatkitContext, { type, params }: ChatkitRequestOf<'threads.add_user_message'>): Promise<Response> {
  const conversationId = conversationIdOf(params.thread_id);
  const message = originMessageFrom(params.input);
  if (typeof message !== 'string') return refusalStream(ctx, type, message.message);
  return chatTurn(ctx, type, { message, conversation_id: conversationId }, { kind: 'add', message });
}

const NOT_RETRYABLE = 'Only your own messages in this conversation can be answered again.';

/**
 * `threads.retry_after_item`: `item_id` must be a user message of the thread. The origin drops
 * what followed it and answers it again (`retry_of_message_id`); the stream tells the client
 * which items went (chatkit-python's client drops them itself; saying so costs nothing).
 */
async function retryAfterItem(ctx: ChatkitContext, { type, params }: ChatkitRequestOf<'threads.retry_after_item'>): Promise<Response> {
  const conversationId = conversationIdOf(params.thread_id);
  const { items } = await loadThreadItems(ctx.client, conversationId);
  const index = items.findIndex((item) => item.id === params.item_id);
  const ref = parseMessageItemId(params.item_id);
  const item = items[index];
  if (!item || item.type !== 'user_message' || ref?.kind !== 'message') return refusalStream(ctx, type, NOT_RETRYABLE);
  const message = item.content.map((part) => part.text).join('');
  return chatTurn(
    ctx,
    type,
    { conversation_id: conversationId, retry_of_message_id: ref.messageId },
    { kind: 'retry', message, removedItemIds: items.slice(index + 1).map((later) => later.id) },
  );
}

const streamHandlers: { [T in StreamingRequestType]: (ctx: ChatkitContext, request: ChatkitRequestOf<T>) => Promise<Response> } = {
  'threads.create': createThread,
  'threads.add_user_message': addUserMessage,
  'threads.retry_after_item': retryAfterItem,
  'threads.add_client_tool_output': async (ctx, { type }) => refusalStream(ctx, type, UNSUPPORTED[type]),
  'threads.custom_action': customAction, // issue 18: custom-actions.ts
  'threads.add_structured_input': async (ctx, { type }) => refusalStream(ctx, type, UNSUPPORTED[type]),
};

// --- dispatch ------------------------------------------------------------------------------------

function jsonResponse(body: JsonAnswer): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function isStreamingRequest(request: ChatkitRequest): request is ChatkitRequestOf<StreamingRequestType> {
  return isStreamingRequestType(request.type);
}

/** Answers one parsed ChatKit request. Throws {@link ApiError} for errors before any stream. */
export async function handleChatkitRequest(ctx: ChatkitContext, request: ChatkitRequest): Promise<Response> {
  if (isStreamingRequest(request)) {
    const handler = streamHandlers[request.type] as (ctx: ChatkitContext, request: ChatkitRequest) => Promise<Response>;
    return handler(ctx, request);
  }
  const handler = jsonHandlers[request.type] as (ctx: ChatkitContext, request: ChatkitRequest) => Promise<JsonAnswer>;
  return jsonResponse(await handler(ctx, request));
}
