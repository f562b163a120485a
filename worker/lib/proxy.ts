import type { Context } from 'hono';
import type { AppEnv } from '../types';
import { ApiError } from './errors';
import { originFetchFailure, originServerError } from './origin-errors';
import { requestUrl } from './request-url';

/**
 * Request headers the origin may see from the browser. An allowlist, not a denylist: identity
 * (`X-User-Id`, `X-Forwarded-*`, `Forwarded`, `CF-*`), hop-by-hop and `Host` headers can then
 * never slip through, whatever spelling a client invents.
 */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'authorization',
  'cache-control',
  'content-language',
  'content-type',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'last-event-id',
  'origin',
  'pragma',
  'range',
  'referer',
  'user-agent',
];

const FORWARDED_REQUEST_HEADER_SET: ReadonlySet<string> = new Set(FORWARDED_REQUEST_HEADERS);

/** Response headers never passed back: hop-by-hop ones and what only describes the origin. */
const DROPPED_RESPONSE_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'server',
  'x-powered-by',
  'x-user-id',
  'alt-svc',
];

/**
 * Cloudflare's edge sets `CF-Connecting-IP` to one address; anything else (a list, junk) can only
 * come from a client talking to the worker without the edge in front (e.g. `wrangler dev`).
 */
const SINGLE_IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/**
 * What the worker itself tells the origin about a request: the client's address (from the edge),
 * the scheme it came in on, and the request id. Every call to the origin carries these.
 */
export function forwardingHeaders(c: Context<AppEnv>): Record<string, string> {
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
}

/**
 * Forwards the request to the origin and streams both bodies. The timeout covers the wait
 * for the origin's response headers only: a long SSE answer is not cut off once it started.
 * The browser hanging up aborts the origin request too.
 */
export async function proxyToOrigin(c: Context<AppEnv>, options: ProxyOptions): Promise<Response> {
  const config = c.get('config');
  const incoming = c.req.raw;
  if (!FORWARDED_METHODS.has(incoming.method)) {
    throw new ApiError('method_not_allowed', `${incoming.method} is not forwarded to the origin.`, { Allow: [...FORWARDED_METHODS].join(', ') });
  }
  // One pass over what the browser sent (names arrive lower-cased), not one lookup per allowed name.
  const allowed = options.passHeaders?.length ? new Set([...FORWARDED_REQUEST_HEADER_SET, ...options.passHeaders]) : FORWARDED_REQUEST_HEADER_SET;
  const headers = new Headers();
  for (const [name, value] of incoming.headers) if (allowed.has(name)) headers.set(name, value);
  for (const [name, value] of Object.entries(forwardingHeaders(c))) headers.set(name, value);
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
      signal: AbortSignal.any([timeout.signal, incoming.signal]),
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
  return cleanOriginResponse(c, upstream, options.pathAndQuery);
}

function cleanOriginResponse(c: Context<AppEnv>, upstream: Response, path: string): Response {
  if (upstream.status >= 500) throw originServerError(upstream, { requestId: c.get('requestId'), path });
  const headers = new Headers(upstream.headers);
  for (const name of DROPPED_RESPONSE_HEADERS) headers.delete(name);
  if (headers.get('content-type')?.startsWith('text/event-stream')) {
    // no-transform keeps any compressing proxy from buffering the stream.
    headers.set('cache-control', 'no-cache, no-transform');
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers });
}
