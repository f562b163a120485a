/** Small HTTP helpers shared by the origin's routes: errors, ids, JSON bodies, client aborts. */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isJsonObject } from '../shared/json';
import type { OriginEnv } from './env';

export type OriginErrorCode = 'bad_request' | 'unauthorized' | 'not_found' | 'assistant_error' | 'origin_status' | 'internal';

export interface OriginErrorBody {
  error: { code: string; message: string; request_id?: string };
}

/**
 * `{"error": {"code", "message"}}`, like the worker's errors. The request id is echoed when the
 * worker sent one, so an origin error passed through still points at the right log line.
 */
export function errorResponse(c: Context<OriginEnv>, status: ContentfulStatusCode, code: OriginErrorCode, message: string): Response {
  const requestId = c.req.header('x-request-id');
  const body: OriginErrorBody = { error: { code, message, ...(requestId ? { request_id: requestId } : {}) } };
  return c.json(body, status);
}

/** A positive integer id from a path segment, or undefined (answered as 404 by the caller). */
export function parseId(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^[1-9]\d{0,14}$/.test(raw)) return undefined;
  return Number(raw);
}

/** The request's JSON object body, or undefined when it is missing, malformed or not an object. */
export async function readJsonObject(c: Context<OriginEnv>): Promise<Record<string, unknown> | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await c.req.text());
  } catch {
    return undefined;
  }
  return isJsonObject(parsed) ? parsed : undefined;
}

/**
 * A trimmed string of 1..max characters, or undefined. The caller decides whether absence is an
 * error, so "missing" and "invalid" are told apart with `value !== undefined`.
 */
export function readTitle(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const title = value.trim();
  return title.length >= 1 && title.length <= max ? title : undefined;
}

/**
 * Calls `onGone` once when the client disconnects before the response is finished (Node's
 * `close` on the response); outside Node, the request's abort signal stands in.
 */
export function onClientGone(c: Context<OriginEnv>, onGone: () => void): void {
  const outgoing = c.env?.outgoing;
  if (outgoing) {
    // `close` also follows a normal finish; only an unfinished response means the client left.
    if (outgoing.destroyed && !outgoing.writableFinished) onGone();
    else outgoing.once('close', () => outgoing.writableFinished || onGone());
    return;
  }
  const signal = c.req.raw.signal;
  if (signal.aborted) onGone();
  else signal.addEventListener('abort', onGone, { once: true });
}

/** An AbortSignal that fires when the client disconnects early (see {@link onClientGone}). */
export function clientGoneSignal(c: Context<OriginEnv>): AbortSignal {
  const controller = new AbortController();
  onClientGone(c, () => controller.abort());
  return controller.signal;
}

/** Resolves after `ms`, or early (with false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** An integer query parameter clamped to [min, max], or the fallback when absent/invalid. */
export function intQuery(c: Context<OriginEnv>, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || !/^\d+$/.test(raw)) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}

/**
 * Scopes the request to the `X-User-Id` the worker set after verifying the caller's token. The
 * origin trusts the header only because the worker is the sole way in; it verifies no JWT itself.
 */
export const requireUser: MiddlewareHandler<OriginEnv> = async (c, next) => {
  const userId = c.req.header('x-user-id')?.trim();
  if (!userId) return errorResponse(c, 401, 'unauthorized', 'Missing X-User-Id: requests reach the origin through the worker.');
  c.set('userId', userId);
  await next();
};
