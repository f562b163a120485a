import type { Config } from '../config';
import { LeasedDurableObjectRateLimiter } from './lease';
import type { RateLimiter } from './limiter';
import { UpstashRateLimiter } from './upstash-limiter';

export type { LimiterBackend, LimiterHealth, LimitOutcome, LimitRequest, RateLimiter } from './limiter';
export { DEFAULT_RULES, POLICY_NAMES, POLICY_VARS, type FailMode, type PolicyName, type RateLimitConfig, type RateLimitRule } from './policies';

/**
 * The limiter this environment uses: Upstash when `UPSTASH_REDIS_REST_URL` and
 * `UPSTASH_REDIS_REST_TOKEN` are set, the embedded `RATE_LIMITER` Durable Object otherwise.
 * Cheap to call per request: the expensive parts (Redis clients, Ratelimit instances) are
 * cached at module scope, and the wrapper is cached per `env` object.
 */
const limiterByEnv = new WeakMap<object, RateLimiter>();

export function rateLimiterFor(env: Env, config: Config): RateLimiter {
  let limiter = limiterByEnv.get(env);
  if (!limiter) {
    limiter = config.upstash ? new UpstashRateLimiter(config.upstash) : new LeasedDurableObjectRateLimiter(env.RATE_LIMITER);
    limiterByEnv.set(env, limiter);
  }
  return limiter;
}
