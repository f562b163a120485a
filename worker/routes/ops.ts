import { Hono, type MiddlewareHandler } from 'hono';
import { parseDuration } from '../../shared/rollout';
import { runGuard, buildReport } from '../guard/run-guard';
import { ApiError } from '../lib/errors';
import { SignalQueryError, signalQueryFor } from '../signals/query';
import type { AppEnv } from '../types';

/**
 * `/api/ops/*`: what `npm run flags -- guard | report` calls (the embedded signal store lives
 * inside the worker, so the ops command asks the worker). Behind the `OPS_TOKEN` bearer secret;
 * without that secret the routes do not exist (404), so they are never open by accident.
 */

const encoder = new TextEncoder();

/** Equal-time comparison of two secrets of any length (hashing first makes the lengths equal). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(given)), crypto.subtle.digest('SHA-256', encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export function requireOpsToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.get('config').opsToken;
    if (expected === null) throw new ApiError('not_found', 'Not found.');
    const match = /^Bearer (\S+)$/i.exec(c.req.header('authorization')?.trim() ?? '');
    if (!match || !(await sameSecret(match[1]!, expected))) {
      throw new ApiError('unauthorized', 'The ops token is missing or wrong.', { 'WWW-Authenticate': 'Bearer realm="calm-orbit-ops"' });
    }
    await next();
  };
}

const DEFAULT_REPORT_WINDOW_S = 3600;

/** The signal store not answering is an upstream failure (502), with its reason for the operator. */
async function readingSignals<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SignalQueryError) throw new ApiError('upstream_error', error.message);
    throw error;
  }
}

export const opsRoutes = new Hono<AppEnv>()
  .use('/api/ops/*', requireOpsToken())
  .post('/api/ops/guard', async (c) => {
    const config = c.get('config');
    const dryRun = ['1', 'true'].includes(c.req.query('dry_run') ?? '');
    c.header('cache-control', 'no-store');
    return c.json(await readingSignals(() => runGuard(c.env, config, signalQueryFor(c.env, config), { dryRun })));
  })
  .get('/api/ops/report', async (c) => {
    const config = c.get('config');
    const since = c.req.query('since');
    const seconds = since === undefined ? DEFAULT_REPORT_WINDOW_S : parseDuration(since);
    if (seconds === null || seconds <= 0) throw new ApiError('bad_request', '"since" must be a duration like 90s, 30m, 1h or 7d.');
    c.header('cache-control', 'no-store');
    return c.json(await readingSignals(() => buildReport(c.env, config, signalQueryFor(c.env, config), Date.now() - seconds * 1000)));
  });
