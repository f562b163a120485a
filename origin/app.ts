/**
 * The reference origin as a Hono app: Better Auth at `/api/auth/*`, the task assistant's API at
 * `/api/v1/*` (scoped by `X-User-Id`), optional misbehaving test routes, and `/__origin/*`
 * control endpoints. It does not listen; see `server.ts`.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { createOriginAuth, type OriginAuth } from './auth';
import type { OriginEnv } from './env';
import { errorResponse } from './http';
import type { RecordedRequest } from './recorder';
import { createChatRoutes } from './routes/chat';
import { createControlRoutes } from './routes/control';
import { chatFault, createDevFaultRoutes, type DevFaultState } from './routes/dev-faults';
import { createConversationRoutes } from './routes/conversations';
import { createTaskRoutes } from './routes/tasks';
import { createTestRoutes } from './routes/test-routes';
import { OriginStore } from './store';

export interface OriginOptions {
  /** Port to listen on; 0 (the default) picks a free one. Used by `startOrigin`. */
  port?: number;
  /** Extra origins Better Auth trusts (its CSRF check), e.g. the worker's public URL. */
  publicUrls?: string[];
  /** Serve `/api/v1/__test/*`. */
  testRoutes?: boolean;
  /** Delay between streamed `delta` chunks of the chat answer. */
  chunkDelayMs?: number;
  /** Better Auth's secret; a random one per process by default (all data is in memory anyway). */
  authSecret?: string;
  /** Serve `/__dev/faults`, the switch that fails chat turns for chosen users (routes/dev-faults.ts). */
  devFaults?: boolean;
}

export interface OriginAppOptions extends Omit<OriginOptions, 'port'> {
  /** The origin's own URL (e.g. `http://127.0.0.1:8788`): Better Auth's base URL, JWT iss/aud. */
  baseUrl: string;
}

export interface OriginState {
  /** Every request received (see `recorder.ts`); emptied in place by `POST /__origin/reset`. */
  requests: RecordedRequest[];
  store: OriginStore;
  auth: OriginAuth;
  /** Better Auth's in-memory tables (`user`, `session`, `account`, `verification`, `jwks`). */
  authDb: Record<string, unknown[]>;
  baseUrl: string;
}

export const DEFAULT_CHUNK_DELAY_MS = 15;

export function createOriginApp(options: OriginAppOptions): { app: Hono<OriginEnv>; state: OriginState } {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const { auth, db } = createOriginAuth({
    baseURL: baseUrl,
    secret: options.authSecret ?? randomBytes(32).toString('base64url'),
    trustedOrigins: options.publicUrls ?? [],
  });
  const state: OriginState = { requests: [], store: new OriginStore(), auth, authDb: db, baseUrl };

  const app = new Hono<OriginEnv>();

  app.route('/__origin', createControlRoutes(state.requests));
  if (options.devFaults) {
    const faults: DevFaultState = { faults: {} };
    app.route('/__dev/faults', createDevFaultRoutes(faults));
    app.use('/api/v1/chat', chatFault(faults));
  }
  app.on(['GET', 'POST'], '/api/auth/*', (c) => auth.handler(c.req.raw));
  if (options.testRoutes) app.route('/api/v1/__test', createTestRoutes());
  app.route('/api/v1/tasks', createTaskRoutes(state.store));
  app.route('/api/v1/conversations', createConversationRoutes(state.store));
  app.route('/api/v1/chat', createChatRoutes(state.store, { chunkDelayMs: options.chunkDelayMs ?? DEFAULT_CHUNK_DELAY_MS }));

  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => {
    console.error('[origin] unhandled error:', error);
    return errorResponse(c, 500, 'internal', 'The origin failed unexpectedly.');
  });

  return { app, state };
}
