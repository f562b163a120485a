/**
 * The peer the worker is compared with: a plain Node reverse proxy doing the same job for
 * `/api/v1/*` (verify the Bearer JWT against the JWKS with jose, drop any client `X-User-Id`, add
 * the verified `sub` as `X-User-Id`, stream the origin's answer back) with @hono/node-server and
 * hono/proxy. It does not rate-limit, log, or add security headers or a request id: the worker
 * does all of those on top, and the table says so.
 *
 * Run as its own process: BENCH_PROXY_PORT, BENCH_ORIGIN_URL, BENCH_JWKS_URL, BENCH_ISSUER,
 * BENCH_AUDIENCE.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { proxy } from 'hono/proxy';
import { proxySettings } from './proxy-settings';

const { port, originUrl, verifiedSubject } = proxySettings();
const BEARER = /^Bearer ([^\s,]+)$/i;
const unauthorized = { error: { code: 'unauthorized', message: 'The access token is missing, invalid or expired.' } };

const app = new Hono();
app.get('/healthz', (c) => c.text('ok'));
app.all('/api/v1/*', async (c) => {
  const token = BEARER.exec(c.req.header('authorization')?.trim() ?? '')?.[1];
  if (!token) return c.json(unauthorized, 401);
  const userId = await verifiedSubject(token);
  if (userId === null) return c.json(unauthorized, 401);
  const url = new URL(c.req.url);
  return proxy(`${originUrl}${url.pathname}${url.search}`, {
    raw: c.req.raw,
    headers: { ...c.req.header(), host: undefined, 'x-user-id': userId },
  });
});

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`node proxy on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
