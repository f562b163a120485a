import { createMiddleware } from 'hono/factory';
import type { PolicyName } from '../rate-limit';
import { enforceRateLimit, type RateLimitKey, showRateLimitHeaders } from '../rate-limit/enforce';
import type { AppEnv } from '../types';

/**
 * Limits requests under `policy`, counted per verified user (`'user'`, after `requireUser()`)
 * or per client IP (`'ip'`); the rule itself is `enforceRateLimit` (worker/rate-limit/enforce.ts).
 *
 * - Allowed: the request goes on, and its response (even an error from later in the chain)
 *   carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds).
 * - Refused: 429 `rate_limited` with `Retry-After` (seconds) and the same headers; nothing
 *   after this middleware runs, so the origin and OpenAI never see the request.
 * - Limiter down or slower than `RATE_LIMIT_TIMEOUT_MS`: a `rate_limiter_unavailable` warning
 *   is logged, then `RATE_LIMIT_FAIL_MODE=open` (default) lets the request through without
 *   headers (there is no count to report) and `closed` answers 429 `rate_limited` with
 *   `Retry-After: 5`. 429 rather than 503 keeps to the contract's codes and already makes
 *   clients back off and retry, which is what they should do.
 */
export function rateLimit(policy: PolicyName, key: RateLimitKey) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const counted = await enforceRateLimit(c, policy, key);
    await next();
    // Inner limits have run by now; show the tightest verdict of all of them.
    if (counted) showRateLimitHeaders(c);
  });
}

/**
 * For routes open to everyone (`/api/flags`), after `optionalUser()`: a signed-in caller counts
 * per user under `userPolicy`, so colleagues behind one NAT do not share a bucket; anyone else
 * per IP under `anonymousPolicy`.
 */
export function rateLimitCaller(userPolicy: PolicyName, anonymousPolicy: PolicyName) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const counted = await enforceRateLimit(c, c.var.userId ? userPolicy : anonymousPolicy, c.var.userId ? 'user' : 'ip');
    await next();
    if (counted) showRateLimitHeaders(c);
  });
}
