import { Hono, type Context } from 'hono';
import { readFlagSnapshot } from '../flags/flags-store';
import { enforceRateLimit, showRateLimitHeaders } from '../rate-limit/enforce';
import { checkRateLimiter } from '../rate-limit/health';
import type { AppEnv } from '../types';
import { WORKER_VERSION } from '../version';

type CheckStatus = 'ok' | 'degraded' | 'down';
interface Check {
  status: CheckStatus;
  [detail: string]: unknown;
}

const ORIGIN_CHECK_TIMEOUT_MS = 3_000;

const BEARER = /^Bearer (\S+)$/i;
const encoder = new TextEncoder();

/**
 * True when the request carries `HEALTH_TOKEN` as its Bearer token. Both sides are hashed first,
 * so the comparison is constant-time whatever the lengths.
 */
async function holdsHealthToken(c: Context<AppEnv>): Promise<boolean> {
  const expected = c.get('config').healthToken;
  const presented = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
  if (!expected || !presented) return false;
  const [a, b] = await Promise.all([expected, presented].map((text) => crypto.subtle.digest('SHA-256', encoder.encode(text))));
  return crypto.subtle.timingSafeEqual(a!, b!);
}

/**
 * `GET /healthz`: liveness (no I/O), `{status, version}` and nothing else. `GET /healthz?deep=1`
 * checks KV, the origin and the rate limiter; which backend runs, the fail mode, the origin's
 * latency and any error are shown only to a caller holding `HEALTH_TOKEN`. Everyone else gets the
 * overall status alone, within the per-IP `anonymous` limit.
 */
export const healthRoutes = new Hono<AppEnv>().get('/healthz', async (c) => {
  c.header('cache-control', 'no-store');
  if (!c.req.query('deep')) return c.json({ status: 'ok', version: WORKER_VERSION });
  if (await holdsHealthToken(c)) return deepHealth(c, true);
  // Callers without the token share the anonymous per-IP budget: the deep check calls the origin.
  if (await enforceRateLimit(c, 'anonymous', 'ip')) showRateLimitHeaders(c);
  return deepHealth(c, false);
});

async function deepHealth(c: Context<AppEnv>, withDetails: boolean): Promise<Response> {
  const config = c.get('config');

  const [kv, origin, rateLimiter] = await Promise.all([
    (async (): Promise<Check> => {
      try {
        const snapshot = await readFlagSnapshot(c);
        const problems = snapshot.problems;
        return Object.keys(problems).length === 0 ? { status: 'ok' } : { status: 'degraded', problems };
      } catch (err) {
        return { status: 'down', error: err instanceof Error ? err.message : 'KV read failed' };
      }
    })(),
    (async (): Promise<Check> => {
      const started = Date.now();
      try {
        // Better Auth's own liveness endpoint: cheap, unauthenticated, part of the origin contract.
        const res = await fetch(`${config.originUrl}/api/auth/ok`, { signal: AbortSignal.timeout(ORIGIN_CHECK_TIMEOUT_MS) });
        res.body?.cancel().catch(() => undefined);
        return { status: res.ok ? 'ok' : 'down', http_status: res.status, latency_ms: Date.now() - started };
      } catch {
        return { status: 'down', error: 'unreachable or timed out', latency_ms: Date.now() - started };
      }
    })(),
    checkRateLimiter(c.env, config),
  ]);

  const checks = { kv, origin, rate_limiter: rateLimiter };
  const statuses = Object.values(checks).map((check) => check.status);
  const status: CheckStatus = statuses.includes('down') ? 'down' : statuses.includes('degraded') ? 'degraded' : 'ok';
  return c.json(withDetails ? { status, version: WORKER_VERSION, checks } : { status, version: WORKER_VERSION }, status === 'down' ? 503 : 200);
}
