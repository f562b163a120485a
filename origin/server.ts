/**
 * Starts the reference origin on 127.0.0.1. The app is built after the socket is listening,
 * because Better Auth's base URL (the JWT issuer and audience) must carry the real port.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createOriginApp, type OriginOptions, type OriginState } from './app';
import { recordNodeRequest } from './recorder';

export type { OriginOptions, OriginState } from './app';

export interface RunningOrigin {
  /** e.g. `http://127.0.0.1:8788` (no trailing slash). */
  url: string;
  port: number;
  state: OriginState;
  /** Stops listening and drops open connections (hanging and streaming requests included). */
  close(): Promise<void>;
}

export const ORIGIN_HOST = '127.0.0.1';

export async function startOrigin(options: OriginOptions = {}): Promise<RunningOrigin> {
  const server = createServer();
  server.listen(options.port ?? 0, ORIGIN_HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${ORIGIN_HOST}:${port}`;

  const { app, state } = createOriginApp({ ...options, baseUrl: url });
  // Leave the process's global Request/Response alone: the origin often runs inside a test
  // process that has its own fetch clients.
  const handle = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    recordNodeRequest(state.requests, req, res);
    void handle(req, res);
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  };

  return { url, port, state, close };
}
