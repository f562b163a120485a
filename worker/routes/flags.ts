import { Hono } from 'hono';
import { readFlagSnapshot } from '../flags/flags-store';
import { resolveFlags } from '../flags/resolve-flags';
import { optionalUser } from '../middleware/auth';
import { rateLimitCaller } from '../middleware/rate-limit';
import type { AppEnv } from '../types';

/**
 * `GET /api/flags`: the SPA asks once at boot which chat to show. Never cached by anyone.
 * Rate limited as an API call for a signed-in caller, per IP (`anonymous`) for anyone else.
 */
export const flagsRoutes = new Hono<AppEnv>().get('/api/flags', optionalUser(), rateLimitCaller('api', 'anonymous'), async (c) => {
  const config = c.get('config');
  const snapshot = await readFlagSnapshot(c);
  c.header('cache-control', 'no-store');
  return c.json(resolveFlags(config, snapshot, c.get('userId') ?? null));
});
