import type { Context } from 'hono';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';
import { setResponseHeaders } from '../lib/response-headers';
import type { AppEnv } from '../types';
import { ipKey, userKey } from './client-key';
import { rateLimiterFor, type LimitOutcome, type PolicyName } from './index';
import type { WindowVerdict } from './sliding-window';

export type RateLimitKey = 'user' | 'ip';

/** How long a fail-closed refusal asks clients to wait: long enough not to hammer a limiter that is down. */
export const FAIL_CLOSED_RETRY_AFTER_SECONDS = 5;

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

function keyFor<E extends AppEnv>(c: Context<E>, key: RateLimitKey): string {
  if (key === 'ip') return ipKey(c.req.header('cf-connecting-ip'));
  const userId = c.var.userId;
  // A wiring mistake (limiter before `requireUser()`), not a client error: fail loudly.
  if (!userId) throw new Error('enforceRateLimit(…, "user") needs requireUser() or a signed-in caller before it');
  return userKey(userId);
}

/**
 * Counts this request under `policy`, per verified user (`'user'`, after `requireUser()`) or per
 * client IP (`'ip'`), and throws the refusal; the thin middleware around it is
 * worker/middleware/rate-limit.ts, which also documents what clients see.
 *
 * Several policies can limit one request (`/api/v1/chat` is under `api` and `chat`); the
 * tightest verdict so far is kept in `c.var.rateLimitVerdict`, so the headers describe the one
 * closest to refusing, whichever limit ran last. Returns false when the limiter was unavailable
 * and the fail mode let the request through uncounted.
 */
export async function enforceRateLimit<E extends AppEnv>(c: Context<E>, policy: PolicyName, key: RateLimitKey): Promise<boolean> {
  const config = c.var.config;
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
      request_id: c.var.requestId,
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
    return false;
  }

  if (outcome.pending) c.executionCtx.waitUntil(outcome.pending.catch(() => undefined));
  const { verdict } = outcome;

  if (!verdict.success) {
    // The refusing policy is what the client must wait out, so it is what the headers show,
    // here and in any outer limiter's headers.
    c.set('rateLimitVerdict', verdict);
    const retryAfter = Math.max(1, secondsUntil(verdict.reset));
    logEvent('info', 'rate_limited', { request_id: c.var.requestId, policy, key_type: key, retry_after_s: retryAfter });
    throw new ApiError('rate_limited', `Too many requests; try again in ${retryAfter} s.`, {
      ...rateLimitHeaders(verdict),
      'RateLimit-Reset': String(retryAfter),
      'Retry-After': String(retryAfter),
    });
  }

  c.set('rateLimitVerdict', tighter(c.var.rateLimitVerdict, verdict));
  return true;
}

/** Puts the tightest verdict of every limit this request passed on its response. */
export function showRateLimitHeaders<E extends AppEnv>(c: Context<E>): void {
  const verdict = c.var.rateLimitVerdict;
  if (!verdict) return;
  setResponseHeaders(c, rateLimitHeaders(verdict));
}
