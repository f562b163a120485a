/**
 * The Node proxy doing the same work per request as the worker, so "worker ÷ node" compares like
 * with like (tests/bench/servers/node-proxy.ts is the plain one, kept as it is):
 * - a request id (hono/request-id, the worker's settings) on every response;
 * - the JWT verified with jose against the JWKS (same cache policy as worker/lib/jwt.ts);
 * - the `api` limit per user with the worker's own sliding-window arithmetic
 *   (worker/rate-limit/sliding-window.ts), kept in this process's memory as one Durable Object
 *   would keep it (the worker pays a call to that object; this proxy only the arithmetic), and
 *   the same `RateLimit-*` response headers (worker/middleware/rate-limit.ts);
 * - the request-header allowlist and forwarding headers of worker/lib/proxy.ts, and the same
 *   response headers dropped;
 * - the worker's security headers (worker/middleware/security-headers.ts, the same middleware);
 * - one JSON access-log line per request on stdout, which the harness points at a file.
 *
 * Run as its own process: BENCH_PROXY_PORT, BENCH_ORIGIN_URL, BENCH_JWKS_URL, BENCH_ISSUER,
 * BENCH_AUDIENCE, BENCH_RATE_LIMIT_API ("<requests>/<seconds>").
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { proxySettings, requiredEnv } from './proxy-settings';
import { PASSED_RESPONSE_HEADERS, FORWARDED_REQUEST_HEADERS } from '../../../shared/proxy-headers';
import { securityHeaders } from '../../../worker/middleware/security-headers';
import { parseRule } from '../../../worker/rate-limit/policies';
import { consumeSlidingWindow, emptyWindowCounts, type WindowCounts, type WindowVerdict } from '../../../worker/rate-limit/sliding-window';

const { port, originUrl, verifiedSubject } = proxySettings();
const rule = parseRule(requiredEnv('BENCH_RATE_LIMIT_API'));
if (!rule) throw new Error('BENCH_RATE_LIMIT_API must look like "<requests>/<seconds>"');
const BEARER = /^Bearer ([^\s,]+)$/i;
const windows = new Map<string, WindowCounts>();
/** As worker/middleware/rate-limit.ts writes them. */
const rateLimitHeaders = (verdict: WindowVerdict, now = Date.now()): Record<string, string> => ({
  'RateLimit-Limit': String(verdict.limit),
  'RateLimit-Remaining': String(verdict.remaining),
  'RateLimit-Reset': String(Math.max(0, Math.ceil((verdict.reset - now) / 1000))),
});

type Vars = { Variables: { requestId: string; userId?: string } };
const app = new Hono<Vars>();
const fail = (requestIdValue: string, status: 401 | 429, code: string, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message, request_id: requestIdValue } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

app.use(requestId({ headerName: 'X-Request-Id', limitLength: 128 }));
app.use(async (c, next) => {
  const started = Date.now();
  await next();
  // As worker/middleware/request-id.ts: a returned Response bypasses Hono's prepared headers.
  c.res.headers.set('X-Request-Id', c.get('requestId'));
  const status = c.res.status;
  console.log(
    JSON.stringify({
      level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      event: 'request',
      time: new Date().toISOString(),
      request_id: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: Date.now() - started,
      user_id: c.get('userId'),
    }),
  );
});
app.use(securityHeaders());
app.get('/healthz', (c) => c.text('ok'));
app.all('/api/v1/*', async (c) => {
  const id = c.get('requestId');
  const token = BEARER.exec(c.req.header('authorization')?.trim() ?? '')?.[1];
  if (!token) return fail(id, 401, 'unauthorized', 'Sign in first: a Bearer access token is required.');
  const userId = await verifiedSubject(token);
  if (userId === null) return fail(id, 401, 'unauthorized', 'The access token is missing, invalid or expired.');
  c.set('userId', userId);

  const key = `api:user:${userId}`;
  let counts = windows.get(key);
  if (!counts) {
    counts = emptyWindowCounts();
    windows.set(key, counts);
  }
  const verdict = consumeSlidingWindow(counts, rule.limit, rule.windowMs, Date.now());
  if (!verdict.success) return fail(id, 429, 'rate_limited', 'Too many requests.', rateLimitHeaders(verdict));

  const incoming = c.req.raw;
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = incoming.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const url = new URL(incoming.url);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  headers.set('x-request-id', id);
  headers.set('x-user-id', userId);
  const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD' && incoming.body !== null;
  const upstream = await fetch(`${originUrl}${url.pathname}${url.search}`, {
    method: incoming.method,
    headers,
    body: hasBody ? incoming.body : undefined,
    redirect: 'manual',
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit);
  // The worker's response allowlist (its Location rewrite and log lines are not repeated here).
  const out = new Headers();
  for (const [name, value] of upstream.headers) if (PASSED_RESPONSE_HEADERS.has(name)) out.set(name, value);
  for (const [name, value] of Object.entries(rateLimitHeaders(verdict))) out.set(name, value);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
});

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.error(`node proxy (same work as the worker) on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
