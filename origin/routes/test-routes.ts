/**
 * `/api/v1/__test/*` (only with `testRoutes`): misbehaving-origin endpoints for the worker's
 * proxy tests. They live under `/api/v1/` so the worker's proxy reaches them, and they need no
 * `X-User-Id` so tests can also call them directly.
 */
import { Hono, type Context } from 'hono';
import type { OriginEnv } from '../env';
import { clientGoneSignal, errorResponse, intQuery, onClientGone, sleep } from '../http';
import { headersFromRaw } from '../recorder';
import { sseResponse } from '../sse';

export interface EchoReply {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Statuses whose responses may not carry a body. */
const BODYLESS_STATUSES = new Set([204, 205, 304]);

export function createTestRoutes(): Hono<OriginEnv> {
  const test = new Hono<OriginEnv>();

  // What the origin received, as raw as Node saw it. Sub-paths answer too (`/echo/<marker>`).
  const echo = async (c: Context<OriginEnv>): Promise<Response> => {
    const incoming = c.env?.incoming;
    const url = new URL(c.req.url);
    const reply: EchoReply = {
      method: c.req.method,
      path: incoming?.url ?? `${url.pathname}${url.search}`,
      headers: incoming ? headersFromRaw(incoming.rawHeaders) : Object.fromEntries(c.req.raw.headers),
      body: await c.req.text(),
    };
    return c.json(reply);
  };
  test.all('/echo', echo);
  test.all('/echo/*', echo);

  // Never answers; the promise settles only when the client gives up (or the server closes).
  // 499 ("client closed request") is never actually sent: the socket is already gone.
  test.get('/hang', (c) => new Promise<Response>((resolve) => onClientGone(c, () => resolve(new Response(null, { status: 499 })))));

  test.get('/sse', (c) => {
    const count = intQuery(c, 'n', 5, 0, 10_000);
    const intervalMs = intQuery(c, 'interval_ms', 100, 0, 60_000);
    return sseResponse(async (sse) => {
      for (let i = 0; i < count; i++) {
        if (i > 0 && !(await sse.pause(intervalMs))) return;
        sse.send('tick', { i });
      }
    }, clientGoneSignal(c));
  });

  test.get('/status/:code', (c) => {
    const code = Number(c.req.param('code'));
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      return errorResponse(c, 400, 'bad_request', 'status must be an integer in 200..599.');
    }
    if (BODYLESS_STATUSES.has(code)) return new Response(null, { status: code });
    const body = { error: { code: 'origin_status', message: `The origin answered ${code} on purpose.` } };
    return new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json' } });
  });

  // Claims JSON, is not.
  test.get('/garbage', () => new Response('{"ok": tru <html>this is not JSON', { status: 200, headers: { 'content-type': 'application/json' } }));

  test.get('/slow', async (c) => {
    const ms = intQuery(c, 'ms', 1000, 0, 600_000);
    await sleep(ms, clientGoneSignal(c));
    return c.json({ ok: true });
  });

  // Reads the body as a stream, counting bytes without keeping them.
  test.post('/upload', async (c) => {
    let bytes = 0;
    const reader = c.req.raw.body?.getReader();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
      bytes += chunk.value.byteLength;
    }
    return c.json({ bytes });
  });

  return test;
}
