/**
 * A stand-in for the worker, speaking the HTTP contract (README "The contract") through a
 * stubbed global `fetch`: no network, realistic bodies, and every request recorded.
 */
import { base64url } from 'jose';
import { vi } from 'vitest';
import type { ErrorCode } from '../../../shared/errors';
import { ERROR_STATUS } from '../../../shared/errors';
import type { FlagsResponse } from '../../../shared/flags';
import type * as v from 'valibot';
import type { Conversation, ConversationDetailSchema, Task } from '../../../shared/origin';

export interface RecordedRequest {
  method: string;
  path: string;
  url: URL;
  headers: Headers;
  body: string | null;
}

export type Handler = (request: RecordedRequest) => Response | Promise<Response>;

export const USER = { id: 'user-ada', name: 'Ada Lovelace', email: 'ada@example.test' } as const;

const base64Url = (value: unknown): string => base64url.encode(JSON.stringify(value));

/** An unsigned JWT shaped like Better Auth's (the SPA never verifies, only reads `exp`/`name`). */
export function makeJwt(claims: Record<string, unknown> = {}, lifetimeSeconds = 900): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: USER.id, id: USER.id, name: USER.name, email: USER.email, iat: now, exp: now + lifetimeSeconds, ...claims };
  return `${base64Url({ alg: 'EdDSA', kid: 'test' })}.${base64Url(payload)}.c2lnbmF0dXJl`;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** The contract's error body, with the status that goes with the code. */
export function contractError(code: ErrorCode, message = `Error: ${code}`, headers: Record<string, string> = {}): Response {
  return json({ error: { code, message, request_id: 'req-test-1' } }, ERROR_STATUS[code], headers);
}

export function flags(overrides: Partial<FlagsResponse> & { variant?: 'chatkit' | 'legacy' } = {}): FlagsResponse {
  const { variant = 'legacy', ...rest } = overrides;
  return {
    chat: { variant, reason: variant === 'chatkit' ? 'allowed' : 'not_in_rollout' },
    rollback: false,
    rollout_percent: 10,
    chatkit: { mode: 'backend', api_url: '/api/chatkit', domain_key: 'domain_pk_localhost_dev' },
    ...rest,
  };
}

export function conversation(id: number, title: string, updatedAt = `2026-05-0${id}T10:00:00.000Z`): Conversation {
  return { id, title, created_at: updatedAt, updated_at: updatedAt };
}

export function task(id: number, title: string, completed = false): Task {
  return { id, title, completed, created_at: '2026-05-01T10:00:00.000Z', updated_at: '2026-05-01T10:00:00.000Z' };
}

/** An SSE response the test writes to event by event, so it can look at the page in between. */
export function sseStream() {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    send(event: string, data: unknown) {
      controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    raw(text: string) {
      controller.enqueue(encoder.encode(text));
    },
    close() {
      controller.close();
    },
    /** The body read fails, as a dropped connection makes it fail in a browser. */
    fail(error: Error) {
      controller.error(error);
    },
  };
}

/** A whole SSE answer at once, as the origin would stream it. */
export function sseResponse(events: ReadonlyArray<[string, unknown]>): Response {
  const text = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

export class FakeBackend {
  readonly requests: RecordedRequest[] = [];
  readonly #routes = new Map<string, Handler>();

  signedIn = true;
  flags: FlagsResponse | (() => Response) = flags();
  conversations: Conversation[] = [];
  /** What the origin sends (optional fields such as `tool_calls` may be left out). */
  details = new Map<number, v.InferInput<typeof ConversationDetailSchema>>();
  tasks: Task[] = [];
  /** Tokens handed out by `/api/auth/token`, in order. */
  readonly issuedTokens: string[] = [];

  readonly fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = await this.#record(input, init);
    const handler = this.#routes.get(`${request.method} ${request.path}`) ?? this.#routes.get(`${request.method} ${request.path.replace(/\/\d+$/, '/:id')}`);
    if (!handler) return contractError('not_found', `No fake route for ${request.method} ${request.path}`);
    return handler(request);
  });

  constructor() {
    this.on('GET', '/api/auth/token', () => {
      if (!this.signedIn) return json({ message: 'Unauthorized' }, 401);
      const token = makeJwt({ jti: `t${this.issuedTokens.length + 1}` });
      this.issuedTokens.push(token);
      return json({ token });
    });
    this.on('POST', '/api/auth/sign-in/email', () => {
      this.signedIn = true;
      return json({ redirect: false, token: 'session-token', user: { id: USER.id, name: USER.name, email: USER.email } });
    });
    this.on('POST', '/api/auth/sign-up/email', () => {
      this.signedIn = true;
      return json({ token: 'session-token', user: { id: USER.id, name: USER.name, email: USER.email } });
    });
    this.on('POST', '/api/auth/sign-out', () => {
      this.signedIn = false;
      return json({ success: true });
    });
    this.on('GET', '/api/flags', () => (typeof this.flags === 'function' ? this.flags() : json(this.flags)));
    this.on('GET', '/api/v1/conversations', () => json(this.conversations));
    this.on('GET', '/api/v1/conversations/:id', (request) => {
      const detail = this.details.get(Number(request.path.split('/').pop()));
      return detail ? json(detail) : contractError('not_found', 'Conversation not found.');
    });
    this.on('DELETE', '/api/v1/conversations/:id', (request) => {
      const id = Number(request.path.split('/').pop());
      this.conversations = this.conversations.filter((item) => item.id !== id);
      return new Response(null, { status: 204 });
    });
    this.on('GET', '/api/v1/tasks', () => json(this.tasks));
  }

  install(): this {
    vi.stubGlobal('fetch', this.fetch);
    return this;
  }

  on(method: string, path: string, handler: Handler): this {
    this.#routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** Recorded requests to `method path` (exact path). */
  calls(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  async #record(input: RequestInfo | URL, init?: RequestInit): Promise<RecordedRequest> {
    const isRequest = input instanceof Request;
    const url = new URL(isRequest ? input.url : String(input), window.location.origin);
    const headers = new Headers(isRequest ? input.headers : undefined);
    for (const [name, value] of new Headers(init?.headers)) headers.set(name, value);
    let body: string | null = null;
    if (typeof init?.body === 'string') body = init.body;
    else if (isRequest && input.body) body = await input.clone().text();
    const request: RecordedRequest = {
      method: (init?.method ?? (isRequest ? input.method : 'GET')).toUpperCase(),
      path: url.pathname,
      url,
      headers,
      body,
    };
    this.requests.push(request);
    return request;
  }
}

export function bearerOf(request: RecordedRequest | undefined): string | null {
  const header = request?.headers.get('authorization') ?? null;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : null;
}
