import type { Context } from 'hono';
import type { AppEnv } from '../types';
import { ApiError } from './errors';
import { logEvent } from './log';
import { originFetchFailure, originServerError } from './origin-errors';
import { guardOriginStream } from './origin-read';
import { requestUrl } from './request-url';
import { FORWARDED_REQUEST_HEADERS, HOP_BY_HOP_HEADERS, PASSED_RESPONSE_HEADERS } from '../../shared/proxy-headers';

const FORWARDED_REQUEST_HEADER_SET: ReadonlySet<string> = new Set(FORWARDED_REQUEST_HEADERS);

/** Characters that would split or end a header line (a bare CR counts: some clients split on it). */
const LINE_BREAKING = /[\r\n\0]/;

/**
 * Cloudflare's edge sets `CF-Connecting-IP` to one address; anything else (a list, junk) can only
 * come from a client talking to the worker without the edge in front (e.g. `wrangler dev`).
 */
const SINGLE_IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/**
 * What the worker itself tells the origin about a request: the client's address (from the edge),
 * the scheme it came in on, and the request id. Every call to the origin carries these.
 */
export function edgeForwardingHeaders<E extends AppEnv>(c: Context<E>): Record<string, string> {
  const headers: Record<string, string> = {
    'x-forwarded-proto': requestUrl(c.req.raw).protocol.replace(':', ''),
    'x-request-id': c.get('requestId'),
  };
  const clientIp = c.req.header('cf-connecting-ip');
  if (clientIp && SINGLE_IP.test(clientIp)) headers['x-forwarded-for'] = clientIp;
  return headers;
}

/** Methods an API or Better Auth call can use; TRACE/TRACK (reflection) and the like never go on. */
const FORWARDED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface ProxyOptions {
  /** Origin path + query, already checked by `isSafeProxyPath`. */
  pathAndQuery: string;
  /** Extra request headers to keep beyond the allowlist (e.g. `cookie` for Better Auth). */
  passHeaders?: readonly string[];
  /** Headers the worker itself sets; they replace anything the browser sent. */
  setHeaders?: Record<string, string>;
  /** Pass the origin's `Set-Cookie` on (Better Auth's session cookies); dropped otherwise. */
  passSetCookie?: boolean;
}

/**
 * Forwards the request to the origin and streams both bodies. The timeout covers the wait
 * for the origin's response headers only: a long SSE answer is not cut off once it started.
 * The browser hanging up mid-answer cancels the body, which closes the origin request. Before
 * the answer starts, the fetch is not tied to the browser's `request.signal`: that link
 * (`AbortSignal.any`) cost about 40 µs of CPU per request in the bench, and in plain workerd it
 * did not end a waiting origin request any sooner; the header timeout bounds the wait.
 */
export async function proxyToOrigin<E extends AppEnv>(c: Context<E>, options: ProxyOptions): Promise<Response> {
  const config = c.get('config');
  const incoming = c.req.raw;
  if (!FORWARDED_METHODS.has(incoming.method)) {
    throw new ApiError('method_not_allowed', `${incoming.method} is not forwarded to the origin.`, { Allow: [...FORWARDED_METHODS].join(', ') });
  }
  // One pass over what the browser sent (names arrive lower-cased), not one lookup per allowed name.
  const allowed = options.passHeaders?.length ? new Set([...FORWARDED_REQUEST_HEADER_SET, ...options.passHeaders]) : FORWARDED_REQUEST_HEADER_SET;
  const headers = new Headers();
  for (const [name, value] of incoming.headers) if (allowed.has(name)) headers.set(name, value);
  for (const [name, value] of Object.entries(edgeForwardingHeaders(c))) headers.set(name, value);
  for (const [name, value] of Object.entries(options.setHeaders ?? {})) headers.set(name, value);

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), config.originTimeoutMs);
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD' && incoming.body !== null;
  const started = Date.now();
  let upstream: Response;
  try {
    upstream = await fetch(`${config.originUrl}${options.pathAndQuery}`, {
      method: incoming.method,
      headers,
      body: hasBody ? incoming.body : undefined,
      redirect: 'manual',
      signal: timeout.signal,
    });
  } catch (err) {
    throw originFetchFailure(err, timeout.signal.aborted, {
      requestId: c.get('requestId'),
      path: options.pathAndQuery,
      timeoutMs: config.originTimeoutMs,
      startedAt: started,
    });
  } finally {
    clearTimeout(timer);
  }
  return cleanOriginResponse(c, upstream, options);
}

async function cleanOriginResponse<E extends AppEnv>(c: Context<E>, upstream: Response, options: ProxyOptions): Promise<Response> {
  const path = options.pathAndQuery;
  if (upstream.status >= 500) throw await originServerError(upstream, { requestId: c.get('requestId'), path });
  const headers = originResponseHeaders(c, upstream.headers, options);
  const idleMs = c.get('config').originLimits.streamIdleMs;
  let body = upstream.body;
  if (body && headers.get('content-type')?.toLowerCase().startsWith('text/event-stream')) {
    // no-transform keeps any compressing proxy from buffering the stream.
    headers.set('cache-control', 'no-cache, no-transform');
    // The stream may end with the worker's own `error` event, so the origin's length no longer holds.
    headers.delete('content-length');
    body = guardOriginStream(body, { idleMs, onIdle: (controller, fault) => endStalledEventStream(c, path, controller, fault) });
  }
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

/**
 * The headers the browser gets, each decision logged once per header it drops (`origin_header_dropped`
 * with the name and why, never the value).
 */
export function originResponseHeaders<E extends AppEnv>(
  c: Context<E>,
  upstream: Headers,
  options: Pick<ProxyOptions, 'pathAndQuery' | 'passSetCookie'>,
): Headers {
  const headers = new Headers();
  const dropped: Array<{ name: string; reason: string }> = [];
  for (const [name, value] of upstream) {
    if (name === 'set-cookie' || HOP_BY_HOP_HEADERS.has(name)) continue;
    if (!PASSED_RESPONSE_HEADERS.has(name) && name !== 'location') {
      dropped.push({ name, reason: name.startsWith('access-control-') ? 'cors_is_the_workers' : 'not_allowed' });
    } else if (LINE_BREAKING.test(value)) {
      dropped.push({ name, reason: 'line_break' });
    } else if (name === 'location') {
      const location = workerLocation(c, value, options.pathAndQuery);
      if (location === null) dropped.push({ name, reason: 'foreign_redirect' });
      else headers.set('location', location);
    } else {
      headers.set(name, value);
    }
  }
  for (const cookie of upstream.getSetCookie()) {
    if (!options.passSetCookie) dropped.push({ name: 'set-cookie', reason: 'not_an_auth_path' });
    else if (LINE_BREAKING.test(cookie)) dropped.push({ name: 'set-cookie', reason: 'line_break' });
    else headers.append('set-cookie', cookie);
  }
  for (const { name, reason } of dropped) {
    logEvent('warn', 'origin_header_dropped', { request_id: c.get('requestId'), path: options.pathAndQuery.split('?')[0], header: name, reason });
  }
  return headers;
}

/**
 * Where a redirect may send the browser: a target on the origin becomes the same path on the
 * worker (the origin's own address is never shown), one in `ALLOWED_ORIGINS` stays; any other
 * (another host, `//host`, `/\\host`, `javascript:`) is `null`, and the header is dropped.
 */
function workerLocation<E extends AppEnv>(c: Context<E>, value: string, requestPath: string): string | null {
  const config = c.get('config');
  let target: URL;
  try {
    // Relative to the request it answers, as the browser would resolve it.
    target = new URL(value, `${config.originUrl}${requestPath}`);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  const origin = new URL(config.originUrl);
  if (target.origin === origin.origin) {
    // An ORIGIN_URL with a path (`https://internal/app`) is a prefix the browser never sees.
    const prefix = origin.pathname.replace(/\/+$/, '');
    const path = prefix && target.pathname.startsWith(`${prefix}/`) ? target.pathname.slice(prefix.length) : target.pathname;
    return `${new URL(c.req.url).origin}${path}${target.search}${target.hash}`;
  }
  return config.allowedOrigins.includes(target.origin) ? target.href : null;
}

const STALLED_STREAM_EVENT = new TextEncoder().encode(`\n\nevent: error\ndata: ${JSON.stringify({ message: 'The answer stalled. Please try again.' })}\n\n`);

/**
 * An event stream whose origin went quiet: the browser gets one last `error` event (the origin's
 * own event name for a failed answer, after a blank line that ends any half-sent event) and the
 * end of the stream; the origin request is already cancelled.
 */
function endStalledEventStream<E extends AppEnv>(c: Context<E>, path: string, controller: ReadableStreamDefaultController<Uint8Array>, fault: Error): void {
  logEvent('warn', 'origin_stream_idle', { request_id: c.get('requestId'), path: path.split('?')[0], error: fault.message });
  controller.enqueue(STALLED_STREAM_EVENT);
  controller.close();
}
