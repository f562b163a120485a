import { DurableObject } from 'cloudflare:workers';
import { grantLease, type LeaseGrant, type LeaseReturn } from './lease';
import { consumeSlidingWindow, emptyWindowCounts, type WindowVerdict } from './sliding-window';

export type { WindowVerdict } from './sliding-window';

/**
 * The embedded limiter (used when Upstash is not configured): one object per (policy, key),
 * named `<policy>:<key>`, e.g. `chat:user:abc`.
 *
 * - Global: Cloudflare runs each named object in exactly one place, so every edge location
 *   counts against the same window. The price is one round trip to wherever the object lives.
 * - In memory: counts are not written to storage. An object is evicted only after it has been
 *   idle for a while (about a minute or more in production), by which time a window of a
 *   minute or less has slid past anyway; longer windows may forget early after an idle spell.
 *   Forgetting errs on the side of letting users in, never of locking them out.
 * - Atomic: `limit` never awaits, so concurrent requests for one key cannot interleave.
 *
 * Cloudflare's native `[[ratelimits]]` binding is not used because its limits are fixed in
 * wrangler.toml (10 s or 60 s periods only) and it reports neither remaining nor reset, which
 * the `RateLimit-*` headers and var-configured limits need.
 */
export class RateLimiterObject extends DurableObject<Env> {
  private readonly counts = emptyWindowCounts();
  /** The object's clock. Tests pin it (`runInDurableObject`) to put a burst anywhere in a window. */
  now: () => number = () => Date.now();

  /** Counts one request; called over RPC by `DurableObjectRateLimiter`. */
  limit(limit: number, windowMs: number): WindowVerdict {
    return consumeSlidingWindow(this.counts, limit, windowMs, this.now());
  }

  /** Counts one request and reserves up to `want - 1` more for the calling isolate (lease.ts). */
  lease(limit: number, windowMs: number, want: number, returned: LeaseReturn[]): LeaseGrant {
    return grantLease(this.counts, limit, windowMs, want, returned, this.now());
  }

  /** For `/healthz?deep=1`: proves the namespace answers, without counting anything. */
  ping(): 'pong' {
    return 'pong';
  }
}
