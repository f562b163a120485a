import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createOriginApp, type OriginOptions, type OriginState } from '../../../origin/app';
import { headersFromRaw, recordNodeRequest } from '../../../origin/recorder';

/**
 * The reference origin (origin/: real Better Auth, tasks, conversations, chat, test routes),
 * run inside the test process so the resilience tests can watch and break it:
 *
 * - `wire` logs every request that reached the socket, the `/__origin/*` control paths included
 *   (the origin's own recorder skips those), so "nothing reached `/__origin`" is provable;
 * - `stop()` / `start()` / `restart()` take it off the network and back on the same port,
 *   dropping every open connection (streams included). Its data and signing keys survive, as a
 *   real origin's database does across a process restart, so tokens minted before still work;
 * - `failNextChat(mode)` makes the next `POST /api/v1/chat` misbehave in one of the ways an
 *   origin breaks mid-answer.
 */

export interface WireRecord {
  method: string;
  /** Path and query exactly as received. */
  path: string;
  headers: Record<string, string>;
}

export type ChatFault =
  /** HTTP 500 with the origin's own error text (which must not reach the browser). */
  | 'status-500'
  /** 200 `text/event-stream`: `start`, one good `delta`, then an event whose data is not JSON. */
  | 'garbage-mid-stream'
  /** 200 `text/event-stream`: `start`, one good `delta`, then the response just ends. */
  | 'end-mid-stream';

export interface WiredOrigin {
  url: string;
  port: number;
  state: OriginState;
  wire: WireRecord[];
  failNextChat(fault: ChatFault): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const ORIGIN_FAULT_TEXT = 'origin-internal-detail: stack at db.query (/srv/origin/db.ts:42)';

export async function startWiredOrigin(options: Omit<OriginOptions, 'port'> = {}): Promise<WiredOrigin> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const { app, state } = createOriginApp({ ...options, baseUrl: url });
  const handle = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const wire: WireRecord[] = [];
  let chatFault: ChatFault | null = null;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    wire.push({ method: req.method ?? '', path: req.url ?? '', headers: headersFromRaw(req.rawHeaders) });
    recordNodeRequest(state.requests, req, res);
    if (chatFault && req.method === 'POST' && (req.url ?? '').split('?')[0] === '/api/v1/chat') {
      const fault = chatFault;
      chatFault = null;
      misbehave(fault, res);
      return;
    }
    void handle(req, res);
  });

  const stop = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    server.closeAllConnections();
    await closed;
  };
  const start = async (): Promise<void> => {
    if (server.listening) return;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  };

  return {
    url,
    port,
    state,
    wire,
    failNextChat: (fault) => {
      chatFault = fault;
    },
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    close: stop,
  };
}

function misbehave(fault: ChatFault, res: ServerResponse): void {
  if (fault === 'status-500') {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'internal', message: ORIGIN_FAULT_TEXT } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(`event: start\ndata: ${JSON.stringify({ conversation_id: 987_654, user_message_id: 987_655, title: 'fault' })}\n\n`);
  res.write(`event: delta\ndata: ${JSON.stringify({ text: 'Half an answer' })}\n\n`);
  if (fault === 'garbage-mid-stream') res.write('event: delta\ndata: {"text": tru <html>not json\n\n');
  res.end();
}
