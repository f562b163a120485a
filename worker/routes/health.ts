import { Hono } from 'hono';
import { readFlagSnapshot } from '../flags/flags-store';
import { checkRateLimiter } from '../rate-limit/health';
import type { AppEnv } from '../types';
import { WORKER_VERSION } from '../version';

type CheckStatus = 'ok' | 'degraded' | 'down';
interface Check {
  status: CheckStatus;
  [detail: string]: unknown;
}

const ORIGIN_CHECK_TIMEOUT_MS = 3_000;

/** `GET /healthz` (liveness, no I/O) and `GET /healthz?deep=1` (KV, origin, rate limiter). */
export const healthRoutes = new Hono<AppEnv>().get('/healthz', async (c) => {
  if (!c.req.query('deep')) return c.json({ status: 'ok', version: WORKER_VERSION });
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
  c.header('cache-control', 'no-store');
  return c.json({ status, version: WORKER_VERSION, checks }, status === 'down' ? 503 : 200);
});
