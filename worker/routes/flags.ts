import { Hono } from 'hono';
import { flagsStoreFor } from '../flags/flags-store';
import { resolveFlags } from '../flags/resolve-flags';
import { optionalUser } from '../middleware/auth';
import type { AppEnv } from '../types';

/** `GET /api/flags`: the SPA asks once at boot which chat to show. Never cached by anyone. */
export const flagsRoutes = new Hono<AppEnv>().get('/api/flags', optionalUser(), async (c) => {
  const config = c.get('config');
  const snapshot = await flagsStoreFor(c.env.FLAGS, config.flagsCacheTtlMs).snapshot((p) => c.executionCtx.waitUntil(p));
  c.header('cache-control', 'no-store');
  return c.json(resolveFlags(config, snapshot, c.get('userId') ?? null));
});
