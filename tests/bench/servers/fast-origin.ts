/**
 * The benchmark's origin: as little work per request as Node allows, so what the numbers show is
 * the cost of whatever sits in front of it (the worker, the Node proxy), not the origin's.
 *
 *   GET  /api/v1/tasks                 a fixed ~300-byte JSON list
 *   GET  /api/v1/stream?n=&interval_ms= SSE: `n` `tick` events, the first at once, then one per interval
 *   POST /api/v1/chat                  with `Accept: text/event-stream`: `start`, `delta`×n, `done`,
 *                                      shaped like the reference origin (origin/routes/chat.ts,
 *                                      shared/origin.ts); first delta right after `start`, then one per
 *                                      `BENCH_CHAT_INTERVAL_MS`
 *   GET  /api/v1/whoami                `{"x_user_id": …}`: what identity a proxy handed over
 *   GET  /api/auth/jwks                the bench's public EdDSA key (`BENCH_JWKS`)
 *   GET  /healthz                      200
 *   GET  /__stats                      `{"connections", "requests"}` so far (not counted itself)
 *
 * Run as its own process (`BENCH_ORIGIN_PORT`, `BENCH_JWKS`), so it never shares an event loop
 * with the load generator.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const port = Number(process.env.BENCH_ORIGIN_PORT);
const jwks = process.env.BENCH_JWKS ?? '{"keys":[]}';
const chatDeltas = Number(process.env.BENCH_CHAT_DELTAS ?? 8);
const chatIntervalMs = Number(process.env.BENCH_CHAT_INTERVAL_MS ?? 10);

const TASKS = Buffer.from(
  JSON.stringify({
    tasks: [
      { id: 1, title: 'Water the plants', done: false, created_at: '2026-01-01T00:00:00.000Z' },
      { id: 2, title: 'Call the dentist', done: true, created_at: '2026-01-02T00:00:00.000Z' },
      { id: 3, title: 'Book train tickets', done: false, created_at: '2026-01-03T00:00:00.000Z' },
    ],
  }),
);
const JWKS = Buffer.from(jwks);
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function streamTicks(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const n = Math.max(1, Math.min(1000, Number(url.searchParams.get('n') ?? 10)));
  const interval = Math.max(0, Math.min(10_000, Number(url.searchParams.get('interval_ms') ?? 10)));
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (res.destroyed) return;
    sse(res, 'tick', { i: sent, of: n });
    sent += 1;
    if (sent >= n) res.end();
    else timer = setTimeout(tick, interval);
  };
  res.on('close', () => clearTimeout(timer));
  tick();
}

let nextConversation = 1;
function streamChat(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    let message = 'hi';
    try {
      message = String((JSON.parse(body) as { message?: unknown }).message ?? 'hi');
    } catch {
      /* keep the default */
    }
    const conversationId = nextConversation++;
    const userMessageId = conversationId * 2 - 1;
    const title = message.slice(0, 60);
    const words = Array.from({ length: chatDeltas }, (_, index) => `word${index} `);
    const reply = {
      conversation_id: conversationId,
      message_id: userMessageId + 1,
      user_message_id: userMessageId,
      response: words.join(''),
      tool_calls: [],
      title,
    };
    res.writeHead(200, SSE_HEADERS);
    sse(res, 'start', { conversation_id: conversationId, user_message_id: userMessageId, title });
    sse(res, 'delta', { text: words[0] });
    let index = 1;
    const next = (): void => {
      if (res.destroyed) return;
      if (index < words.length) {
        sse(res, 'delta', { text: words[index] });
        index += 1;
        timer = setTimeout(next, chatIntervalMs);
        return;
      }
      sse(res, 'done', reply);
      res.end();
    };
    let timer = setTimeout(next, chatIntervalMs);
    res.on('close', () => clearTimeout(timer));
  });
}

/** Counters for `GET /__stats`: how many TCP connections the callers opened for their requests. */
const stats = { connections: 0, requests: 0 };

const server = createServer((req, res) => {
  const url = new URL(`http://origin.invalid${req.url ?? '/'}`);
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /__stats') {
    const body = JSON.stringify(stats);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  stats.requests += 1;
  if (route === 'GET /api/v1/tasks') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': TASKS.length });
    res.end(TASKS);
    return;
  }
  if (route === 'GET /api/v1/whoami') {
    const body = JSON.stringify({ x_user_id: req.headers['x-user-id'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (route === 'GET /api/v1/stream') return streamTicks(req, res, url);
  if (route === 'POST /api/v1/chat') return streamChat(req, res);
  if (route === 'GET /api/auth/jwks') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': JWKS.length });
    res.end(JWKS);
    return;
  }
  if (route === 'GET /healthz') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":{"code":"not_found"}}');
});
server.on('connection', () => (stats.connections += 1));
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`fast origin on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
