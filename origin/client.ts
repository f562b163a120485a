import * as v from 'valibot';
import { TokenResponseSchema } from '../shared/auth';

/**
 * Test helper: mints a real Better Auth user and JWT through the origin (or through the worker,
 * which proxies `/api/auth/*`), so other tests can call the API with genuine tokens.
 *
 * Web-platform APIs only (fetch, crypto, TextDecoder): the worker's tests import it inside workerd.
 */

export interface SignUpOptions {
  email?: string;
  password?: string;
  name?: string;
  /** The `Origin` header to send (Better Auth's CSRF check); defaults to the URL's own origin. */
  origin?: string;
}

export interface SignedUpUser {
  /** The EdDSA JWT from `/api/auth/token`. */
  token: string;
  userId: string;
  /** The session cookie(s), ready for a `Cookie` header. */
  cookie: string;
  email: string;
}

export const DEFAULT_TEST_PASSWORD = 'correct-horse-battery-staple';

/** `name=value` pairs of every `Set-Cookie`, joined for a `Cookie` header. */
export function cookieHeaderFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';', 1)[0] ?? '')
    .filter(Boolean)
    .join('; ');
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} failed: ${response.status} ${text.slice(0, 500)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what} answered non-JSON: ${text.slice(0, 500)}`);
  }
}

/** Signs a new user up (unique email by default) and fetches a JWT for them. */
export async function signUpAndGetToken(originOrWorkerUrl: string, options: SignUpOptions = {}): Promise<SignedUpUser> {
  const base = originOrWorkerUrl.replace(/\/+$/, '');
  const email = options.email ?? `user-${crypto.randomUUID()}@example.test`;
  const origin = options.origin ?? new URL(base).origin;

  const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({
      email,
      password: options.password ?? DEFAULT_TEST_PASSWORD,
      name: options.name ?? email.split('@')[0],
    }),
  });
  const cookie = cookieHeaderFrom(signUp);
  const signUpBody = (await expectOk(signUp, 'sign-up')) as { user?: { id?: unknown } };
  const userId = signUpBody.user?.id;
  if (typeof userId !== 'string') throw new Error('sign-up answered without user.id');
  if (!cookie) throw new Error('sign-up set no session cookie');

  const tokenResponse = await fetch(`${base}/api/auth/token`, { headers: { cookie, origin } });
  const parsed = v.safeParse(TokenResponseSchema, await expectOk(tokenResponse, 'token'));
  if (!parsed.success) throw new Error('/api/auth/token answered without a token');
  const { token } = parsed.output;

  return { token, userId, cookie, email };
}

export interface SseEvent {
  event: string;
  /** The parsed JSON of `data:` (the raw text when it is not JSON). */
  data: unknown;
}

/** Parses complete SSE events out of `buffer`; returns them and the unparsed rest. */
export function parseSseEvents(buffer: string): { events: Array<{ event: string; data: unknown }>; rest: string } {
  const events: Array<{ event: string; data: unknown }> = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const dataLines: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) dataLines.push(line.slice(5).replace(/^ /, ''));
    }
    if (dataLines.length === 0) continue;
    const raw = dataLines.join('\n');
    let data: unknown = raw;
    try {
      data = JSON.parse(raw) as unknown;
    } catch {
      // not JSON: keep the text
    }
    events.push({ event, data });
  }
  return { events, rest };
}

/** Reads a whole SSE response. */
export async function readSseEvents(response: Response): Promise<SseEvent[]> {
  if (!response.body) return [];
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  const received: SseEvent[] = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const { events, rest } = parseSseEvents(buffer);
    buffer = rest;
    received.push(...events);
  }
  return received;
}
