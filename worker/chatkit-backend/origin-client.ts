import * as v from 'valibot';
import {
  ChatReplySchema,
  ChatStreamEventError,
  ConversationDetailSchema,
  ConversationListSchema,
  ConversationSchema,
  type ChatReply,
  type ChatRequest,
  type ChatRetryRequest,
  parseChatStreamEvent,
  type ChatStreamEvent,
  type Conversation,
  type ConversationDetail,
  TaskListSchema,
  TaskSchema,
  type Task,
} from '../../shared/origin';
import type { OriginLimits } from '../config';
import { ApiError } from '../lib/errors';
import { originFetchFailure, originServerError } from '../lib/origin-errors';
import { logEvent } from '../lib/log';
import { logExcerpt, OriginReadFault, readCappedText, readWithin, utf8Length } from '../lib/origin-read';
import { MAX_SSE_EVENT_CHARS, readServerSentEvents, SseEventTooLargeError } from '../../shared/sse';

/**
 * Typed calls to the origin's own `/api/v1` (its schemas: shared/origin.ts), as the
 * ChatKit adapter needs them. Every call carries the verified user as `X-User-Id` (the only
 * identity the origin trusts) and the request id; every body is validated with shared/origin.ts.
 *
 * Failures become contract errors: origin 404 → `not_found` (another user's conversation is a 404
 * at the origin too, so both read the same), timeout → `upstream_timeout`, unreachable, 5xx,
 * non-JSON or a body of the wrong shape → `upstream_error`. The origin's own error bodies are never
 * passed on: they may describe internals.
 */

export interface OriginClientOptions {
  originUrl: string;
  userId: string;
  requestId: string;
  /** Deadline for the origin's response headers (and, for JSON calls, its whole body). */
  timeoutMs: number;
  /** Aborts every call, e.g. when the browser hangs up. */
  signal?: AbortSignal;
  /** Extra headers for the origin, as the proxy would forward them (`authorization`, `x-forwarded-*`…). */
  originRequestHeaders?: Record<string, string>;
  /** Read caps and the stream idle deadline (config `originLimits`). */
  limits: OriginLimits;
}

/** The origin's answer to `POST /api/v1/chat`: a live event stream, or (JSON-only origins) the reply. */
export type ChatTurnSource = { kind: 'stream'; events: AsyncGenerator<ChatStreamEvent> } | { kind: 'reply'; reply: ChatReply };

/** The origin's stream broke its own contract (bad JSON, wrong shape) after it started. */
export class OriginStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OriginStreamError';
  }
}

interface CallOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  accept: string;
  notFoundMessage: string;
}

const NOT_FOUND = 'Thread not found.';
const TASK_NOT_FOUND = 'Task not found.';

function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
}

export class OriginClient {
  constructor(private readonly options: OriginClientOptions) {}

  get limits(): OriginLimits {
    return this.options.limits;
  }

  /** `GET /api/v1/conversations`: all of the user's conversations (the origin's order). */
  async listConversations(): Promise<Conversation[]> {
    return this.json(ConversationListSchema, { method: 'GET', path: '/api/v1/conversations', accept: 'application/json', notFoundMessage: NOT_FOUND });
  }

  /** `GET /api/v1/conversations/:id`: the conversation with its messages, oldest first. */
  async getConversation(id: number): Promise<ConversationDetail> {
    return this.json(ConversationDetailSchema, { method: 'GET', path: `/api/v1/conversations/${id}`, accept: 'application/json', notFoundMessage: NOT_FOUND });
  }

  /** `PATCH /api/v1/conversations/:id` `{title}`. */
  async renameConversation(id: number, title: string): Promise<Conversation> {
    return this.json(ConversationSchema, {
      method: 'PATCH',
      path: `/api/v1/conversations/${id}`,
      body: { title },
      accept: 'application/json',
      notFoundMessage: NOT_FOUND,
    });
  }

  /** `DELETE /api/v1/conversations/:id` (204). */
  async deleteConversation(id: number): Promise<void> {
    const response = await this.call({ method: 'DELETE', path: `/api/v1/conversations/${id}`, accept: 'application/json', notFoundMessage: NOT_FOUND });
    await response.body?.cancel().catch(() => undefined);
  }

  // --- tasks (issue 18: the task widget's actions) ---

  /** `GET /api/v1/tasks`: the user's tasks as they are now. */
  async listTasks(): Promise<Task[]> {
    return this.json(TaskListSchema, { method: 'GET', path: '/api/v1/tasks', accept: 'application/json', notFoundMessage: TASK_NOT_FOUND });
  }

  /** `PATCH /api/v1/tasks/:id` `{completed}`; null when the task no longer exists. */
  async setTaskCompleted(id: number, completed: boolean): Promise<Task | null> {
    return this.orNullWhenMissing(
      this.json(TaskSchema, { method: 'PATCH', path: `/api/v1/tasks/${id}`, body: { completed }, accept: 'application/json', notFoundMessage: TASK_NOT_FOUND }),
    );
  }

  /** `DELETE /api/v1/tasks/:id` (204); false when the task was already gone. */
  async deleteTask(id: number): Promise<boolean> {
    const response = await this.orNullWhenMissing(
      this.call({ method: 'DELETE', path: `/api/v1/tasks/${id}`, accept: 'application/json', notFoundMessage: TASK_NOT_FOUND }),
    );
    return response !== null;
  }

  private async orNullWhenMissing<T>(call: Promise<T>): Promise<T | null> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return null;
      throw error;
    }
  }

  /**
   * `POST /api/v1/chat` (a message, or a retry of a stored one). With `stream`, asks for `text/event-stream`; whatever the origin answers
   * (SSE or a plain JSON reply) is returned as such, so an origin without streaming still works.
   * The timeout covers the wait for the response headers only: a long answer that has started
   * streaming is not cut off. Cancel a stream by `return()`-ing its generator or aborting `signal`.
   */
  async sendChat(request: ChatRequest | ChatRetryRequest, stream: boolean): Promise<ChatTurnSource> {
    const response = await this.call(
      {
        method: 'POST',
        path: '/api/v1/chat',
        body: request,
        accept: stream ? 'text/event-stream' : 'application/json',
        notFoundMessage: NOT_FOUND,
      },
      { timeoutCoversBody: false },
    );
    if (isEventStream(response) && response.body) return { kind: 'stream', events: this.chatEvents(response.body) };
    const reply = await this.parseBody(ChatReplySchema, response, '/api/v1/chat');
    const answerBytes = utf8Length(reply.response);
    if (answerBytes > this.options.limits.maxAnswerBytes) {
      throw this.overCap(
        '/api/v1/chat',
        new OriginReadFault('answer_too_large', `the answer is ${answerBytes} bytes, over the ${this.options.limits.maxAnswerBytes}-byte cap`),
      );
    }
    return { kind: 'reply', reply };
  }

  // --- plumbing ------------------------------------------------------------------------------

  private async json<TSchema extends v.GenericSchema>(schema: TSchema, call: CallOptions): Promise<v.InferOutput<TSchema>> {
    const response = await this.call(call, { timeoutCoversBody: true });
    return this.parseBody(schema, response, call.path);
  }

  private logFields(path: string): Record<string, unknown> {
    return { request_id: this.options.requestId, path: path.split('?')[0] };
  }

  /**
   * Sends one request and maps failures to contract errors. With `timeoutCoversBody`, the
   * deadline stays armed until the caller has read the body (it is read right away here).
   */
  private async call(call: CallOptions, { timeoutCoversBody } = { timeoutCoversBody: true }): Promise<Response> {
    const { originUrl, userId, requestId, timeoutMs, signal, originRequestHeaders } = this.options;
    const headers = new Headers(originRequestHeaders);
    headers.set('accept', call.accept);
    headers.set('x-user-id', userId);
    headers.set('x-request-id', requestId);
    if (call.body !== undefined) headers.set('content-type', 'application/json');

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(`${originUrl}${call.path}`, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        redirect: 'manual',
        signal: signal ? AbortSignal.any([timeout.signal, signal]) : timeout.signal,
      });
    } catch (error) {
      clearTimeout(timer);
      throw this.fetchFailure(error, timeout.signal.aborted, call.path, started);
    }
    if (!timeoutCoversBody) clearTimeout(timer);

    if (response.ok) {
      if (!timeoutCoversBody) return response;
      // Buffer the JSON body (capped) under the same deadline, then hand back a plain Response.
      try {
        const text = await readCappedText(response, this.options.limits.maxJsonBytes);
        const bodyless = response.status === 204 || response.status === 205;
        return new Response(bodyless ? null : text, { status: response.status, headers: response.headers });
      } catch (error) {
        if (error instanceof OriginReadFault) throw this.overCap(call.path, error);
        throw this.fetchFailure(error, timeout.signal.aborted, call.path, started);
      } finally {
        clearTimeout(timer);
      }
    }

    clearTimeout(timer);
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      throw new ApiError('not_found', call.notFoundMessage);
    }
    if (response.status === 400) {
      await response.body?.cancel().catch(() => undefined);
      // The adapter validates input with the origin's own rules first, so this is rare.
      logEvent('warn', 'origin_refused', { ...this.logFields(call.path), status: response.status });
      throw new ApiError('bad_request', 'The backend refused this request.');
    }
    throw await originServerError(response, { requestId: this.options.requestId, path: call.path });
  }

  private fetchFailure(error: unknown, timedOut: boolean, path: string, started: number): unknown {
    const { requestId, timeoutMs, signal } = this.options;
    return originFetchFailure(error, timedOut, { requestId, path, timeoutMs, startedAt: started, browserSignal: signal });
  }

  /** A read cap broke before anything was sent to the browser: 502, the details in the log. */
  private overCap(path: string, fault: OriginReadFault): ApiError {
    logEvent('error', 'origin_over_limit', { ...this.logFields(path), reason: fault.reason, error: fault.message });
    return new ApiError('upstream_error', 'The origin answered more than this service accepts.');
  }

  private async parseBody<TSchema extends v.GenericSchema>(schema: TSchema, response: Response, path: string): Promise<v.InferOutput<TSchema>> {
    let text: string;
    try {
      text = await readCappedText(response, this.options.limits.maxJsonBytes);
    } catch (error) {
      if (error instanceof OriginReadFault) throw this.overCap(path, error);
      throw this.fetchFailure(error, false, path, Date.now());
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      logEvent('error', 'origin_bad_response', { ...this.logFields(path), reason: 'not_json', content_type: response.headers.get('content-type') });
      throw new ApiError('upstream_error', 'The origin answered something that is not JSON.');
    }
    const result = v.safeParse(schema, data);
    if (!result.success) {
      logEvent('error', 'origin_bad_response', { ...this.logFields(path), reason: 'schema', issue: v.summarize(result.issues).slice(0, 500) });
      throw new ApiError('upstream_error', 'The origin answered in an unexpected shape.');
    }
    return result.output;
  }

  /**
   * The origin's chat events, validated one by one as they arrive. Unknown event names are
   * skipped (a newer origin may add some); a known event with a bad body ends the stream with
   * {@link OriginStreamError}. The body is read only as fast as events are taken from here, an
   * event may hold at most {@link MAX_SSE_EVENT_CHARS} characters (`done`, which repeats the whole
   * answer, the answer cap more), and a silent origin ends it ({@link OriginReadFault}).
   */
  private async *chatEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChatStreamEvent> {
    const { streamIdleMs, maxAnswerBytes } = this.options.limits;
    // Parsed as it is read, each read under the idle deadline: no stream layer in between.
    const events = readServerSentEvents(
      body,
      { maxEventChars: MAX_SSE_EVENT_CHARS, maxEventCharsByName: { done: maxAnswerBytes + MAX_SSE_EVENT_CHARS } },
      (reader) => readWithin(reader, streamIdleMs),
    );
    for await (const message of mapSseFaults(events)) {
      let event: ChatStreamEvent | null;
      try {
        event = parseChatStreamEvent(message.event, message.data);
      } catch (error) {
        if (!(error instanceof ChatStreamEventError)) throw error;
        throw new OriginStreamError(
          error.fault === 'not_json'
            ? `the origin's "${error.eventName}" event is not JSON`
            : `the origin's "${error.eventName}" event has an unexpected shape: ${logExcerpt(error.issues)}`,
        );
      }
      if (event) yield event;
    }
  }
}

/** An event over its cap is a read fault like any other cap. */
async function* mapSseFaults<T>(events: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* events;
  } catch (error) {
    if (error instanceof SseEventTooLargeError) throw new OriginReadFault('event_too_large', error.message);
    throw error;
  }
}
