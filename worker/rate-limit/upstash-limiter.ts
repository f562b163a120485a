import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import { TIMED_OUT, withinTime } from '../lib/within-time';
import { errorDetail, type LimiterHealth, type LimitOutcome, type LimitRequest, type RateLimiter } from './limiter';
import type { PolicyName, RateLimitRule } from './policies';

export interface UpstashCredentials {
  url: string;
  token: string;
}

/** Redis keys are `calm-orbit:rl:<policy>:<key>:<window>`, so policies never share a counter. */
export const UPSTASH_PREFIX = 'calm-orbit:rl';

/**
 * Identifiers known to be over their limit, with the time they are free again. It lives at
 * module scope so it survives across requests in this isolate: a blocked client is refused
 * without a Redis round trip until its window ends. Keys carry the policy prefix, so one map
 * serves every policy.
 */
const ephemeralCache = new Map<string, number>();

/**
 * Clients and limiters are built once per isolate and configuration, not per request: the
 * ephemeral cache only helps if the limiter outlives the request, and building them is not free.
 * The key holds the token because two configurations may share a URL; it never leaves memory.
 */
const redisClients = new Map<string, Redis>();
const limiters = new Map<string, Ratelimit>();

function redisFor(credentials: UpstashCredentials, timeoutMs: number): Redis {
  const cacheKey = `${credentials.url}\n${credentials.token}\n${timeoutMs}`;
  let redis = redisClients.get(cacheKey);
  if (!redis) {
    redis = new Redis({
      url: credentials.url,
      token: credentials.token,
      // One quick retry for a dropped connection; the time budget below bounds it anyway.
      retry: { retries: 1, backoff: () => 25 },
      // Abort the HTTP call itself once the budget is spent, a little after Ratelimit's own
      // timeout has already answered, so no request to a dead Redis lingers behind a response.
      signal: () => AbortSignal.timeout(timeoutMs + 250),
      keepAlive: false,
      enableTelemetry: false,
    });
    redisClients.set(cacheKey, redis);
  }
  return redis;
}

function ratelimitFor(credentials: UpstashCredentials, policy: PolicyName, rule: RateLimitRule, timeoutMs: number): Ratelimit {
  const cacheKey = `${credentials.url}\n${credentials.token}\n${policy}\n${rule.limit}/${rule.windowMs}\n${timeoutMs}`;
  let limiter = limiters.get(cacheKey);
  if (!limiter) {
    limiter = new Ratelimit({
      redis: redisFor(credentials, timeoutMs),
      limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
      prefix: `${UPSTASH_PREFIX}:${policy}`,
      ephemeralCache,
      // Past this, Ratelimit answers `success: true, reason: "timeout"`; we treat that as
      // "unavailable" and let the fail mode decide, instead of trusting the optimistic answer.
      timeout: timeoutMs,
      analytics: false,
      enableTelemetry: false,
    });
    limiters.set(cacheKey, limiter);
  }
  return limiter;
}

/**
 * `@upstash/ratelimit` over Upstash's REST API (`@upstash/redis/cloudflare`, plain `fetch`).
 * Counts are global (one Redis) and survive deploys; each decision costs one REST round trip
 * unless the ephemeral cache already knows the client is blocked.
 */
export class UpstashRateLimiter implements RateLimiter {
  readonly backend = 'upstash';

  constructor(private readonly credentials: UpstashCredentials) {}

  async limit({ policy, rule, key, timeoutMs }: LimitRequest): Promise<LimitOutcome> {
    try {
      const result = await ratelimitFor(this.credentials, policy, rule, timeoutMs).limit(key);
      if (result.reason === 'timeout') {
        return { kind: 'unavailable', reason: 'timeout', detail: `no answer from Upstash within ${timeoutMs} ms` };
      }
      const { success, limit, remaining, reset } = result;
      return { kind: 'decided', verdict: { success, limit, remaining, reset }, pending: result.pending };
    } catch (err) {
      // Network errors, HTTP errors from the REST API and aborted calls all land here.
      return { kind: 'unavailable', reason: 'error', detail: errorDetail(err) };
    }
  }

  async check(timeoutMs: number): Promise<LimiterHealth> {
    const started = Date.now();
    try {
      const answer = await withinTime(redisFor(this.credentials, timeoutMs).ping(), timeoutMs);
      const latency_ms = Date.now() - started;
      if (answer === TIMED_OUT) return { status: 'down', backend: this.backend, latency_ms, error: `no answer within ${timeoutMs} ms` };
      return { status: 'ok', backend: this.backend, latency_ms };
    } catch (err) {
      return { status: 'down', backend: this.backend, latency_ms: Date.now() - started, error: errorDetail(err) };
    }
  }
}
