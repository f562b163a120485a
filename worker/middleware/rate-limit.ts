import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';
import { ipKey, userKey } from '../rate-limit/client-key';
import { rateLimiterFor, type LimitOutcome, type PolicyName } from '../rate-limit';
import type { WindowVerdict } from '../rate-limit/sliding-window';
import type { AppEnv } from '../types';

export type RateLimitKey = 'user' | 'ip';

/** How long a fail-closed refusal asks clients to wait: long enough not to hammer a limiter that is down. */
export const FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

/**
 * The tightest verdict seen so far for each request. Several policies can limit one request
 * (`/api/v1/chat` is under `api` and `chat`); the headers then describe the one closest to
 * refusing, as the RateLimit header draft recommends, whichever middleware ran last.
 */
const shownVerdict = new WeakMap<Request, WindowVerdict>();

function tighter(a: WindowVerdict | undefined, b: WindowVerdict): WindowVerdict {
  if (!a) return b;
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return a.reset >= b.reset ? a : b;
}

export function secondsUntil(resetMs: number, now = Date.now()): number {
  return Math.max(0, Math.ceil((resetMs - now) / 1000));
}

export function rateLimitHeaders(verdict: WindowVerdict, now = Date.now()): Record<string, string> {
  return {
    'RateLimit-Limit': String(verdict.limit),
    'RateLimit-Remaining': String(verdict.remaining),
    'RateLimit-Reset': String(secondsUntil(verdict.reset, now)),
  };
}

function keyFor(c: Context<AppEnv>, key: RateLimitKey): string {
  if (key === 'ip') return ipKey(c.req.header('cf-connecting-ip'));
  const userId = c.get('userId');
  // A wiring mistake (limiter before `requireUser()`), not a client error: fail loudly.
  if (!userId) throw new Error('rateLimit(…, "user") needs requireUser() or a signed-in caller before it');
  return userKey(userId);
}

/**
 * Limits requests under `policy`, counted per verified user (`'user'`, after `requireUser()`)
 * or per client IP (`'ip'`).
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
export function rateLimit(policy: PolicyName, key: RateLimitKey): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const config = c.get('config');
    const settings = config.rateLimits;
    const limiter = rateLimiterFor(c.env, config);
    const outcome: LimitOutcome = await limiter.limit({
      policy,
      rule: settings.policies[policy],
      key: keyFor(c, key),
      timeoutMs: settings.timeoutMs,
    });

    if (outcome.kind === 'unavailable') {
      logEvent('warn', 'rate_limiter_unavailable', {
        request_id: c.get('requestId'),
        backend: limiter.backend,
        policy,
        reason: outcome.reason,
        detail: outcome.detail,
        fail_mode: settings.failMode,
        action: settings.failMode === 'open' ? 'allowed' : 'refused',
      });
      if (settings.failMode === 'closed') {
        throw new ApiError('rate_limited', 'Rate limiting is temporarily unavailable; try again shortly.', {
          'Retry-After': String(FAIL_CLOSED_RETRY_AFTER_SECONDS),
        });
      }
      await next();
      return;
    }

    if (outcome.pending) c.executionCtx.waitUntil(outcome.pending.catch(() => undefined));
    const request = c.req.raw;
    const { verdict } = outcome;

    if (!verdict.success) {
      // The refusing policy is what the client must wait out, so it is what the headers show,
      // here and in any outer limiter's headers.
      shownVerdict.set(request, verdict);
      const retryAfter = Math.max(1, secondsUntil(verdict.reset));
      logEvent('info', 'rate_limited', { request_id: c.get('requestId'), policy, key_type: key, retry_after_s: retryAfter });
      throw new ApiError('rate_limited', `Too many requests; try again in ${retryAfter} s.`, {
        ...rateLimitHeaders(verdict),
        'RateLimit-Reset': String(retryAfter),
        'Retry-After': String(retryAfter),
      });
    }

    shownVerdict.set(request, tighter(shownVerdict.get(request), verdict));

    await next();
    // Inner limiters have run by now; show the tightest verdict of all of them.
    for (const [name, value] of Object.entries(rateLimitHeaders(shownVerdict.get(request) ?? verdict))) c.header(name, value);
  };
}

/**
 * For routes open to everyone (`/api/flags`), after `optionalUser()`: a signed-in caller counts
 * per user under `userPolicy`, so colleagues behind one NAT do not share a bucket; anyone else
 * per IP under `anonymousPolicy`.
 */
export function rateLimitCaller(userPolicy: PolicyName, anonymousPolicy: PolicyName): MiddlewareHandler<AppEnv> {
  const perUser = rateLimit(userPolicy, 'user');
  const perIp = rateLimit(anonymousPolicy, 'ip');
  return (c, next) => (c.get('userId') ? perUser(c, next) : perIp(c, next));
}
