/**
 * Which headers cross the worker's origin proxy (worker/lib/proxy.ts), both ways. Allowlists, not
 * denylists: identity (`X-User-Id`, `X-Forwarded-*`, `Forwarded`, `CF-*`), hop-by-hop, `Host`,
 * the origin's own CORS answer, cookies on API paths and internal debugging headers can then never
 * slip through, whatever spelling a client or origin invents. Kept here, free of Workers types, so
 * the bench's same-work Node proxy applies the very same lists.
 */

/** Request headers the origin may see from the browser. */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
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

/** Response headers the browser may see from the origin; `set-cookie` and `location` have rules of their own. */
export const PASSED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'cache-control',
  'expires',
  'pragma',
  'age',
  'accept-ranges',
  'content-range',
  'etag',
  'last-modified',
  'retry-after',
  'vary',
  'x-request-id',
]);

/** Hop-by-hop headers describe one connection only: dropped without a log line. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
