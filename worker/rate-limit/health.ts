import type { Config } from '../config';
import { rateLimiterFor } from './index';

export interface RateLimiterCheck {
  status: 'ok' | 'degraded' | 'down';
  backend: 'upstash' | 'durable-object';
  fail_mode: 'open' | 'closed';
  latency_ms: number;
  error?: string;
}

/**
 * The limiter's part of `/healthz?deep=1`: one round trip within the same budget requests get.
 * An unreachable limiter is `degraded` when failing open (requests are still served, only
 * unlimited) and `down` when failing closed (limited routes are refusing everyone).
 */
export async function checkRateLimiter(env: Env, config: Config): Promise<RateLimiterCheck> {
  const health = await rateLimiterFor(env, config).check(config.rateLimits.timeoutMs);
  const failMode = config.rateLimits.failMode;
  const status = health.status === 'ok' ? 'ok' : failMode === 'open' ? 'degraded' : 'down';
  return { ...health, status, fail_mode: failMode };
}
