import { DurableObject } from 'cloudflare:workers';
import { grantLease, type LeaseGrant, type LeaseReturn } from './lease';
import { consumeSlidingWindow, emptyWindowCounts, type WindowCounts, type WindowVerdict } from './sliding-window';

export type { WindowVerdict } from './sliding-window';

/** One caller's ask in a batched call (lease.ts sends one call per object for everyone waiting). */
export interface LeaseAsk {
  /** `user:<sub>` or `ip:<address>`: the object counts each key apart. */
  key: string;
  limit: number;
  windowMs: number;
  want: number;
  returned: LeaseReturn[];
  /** A renewal sent ahead for a caller who is not asking now: counts no request of its own. */
  ahead?: boolean;
}

/**
 * Objects per policy. Keys are spread over them by a hash, so a busy policy is not one object's
 * load, yet each object gathers enough concurrent requests for an isolate's batches to pay off.
 */
export const LIMITER_SHARDS = 8;

/** The object that counts `key` under `policy`: `<policy>:<shard>`. */
export function limiterObjectName(policy: string, key: string): string {
  // FNV-1a: cheap and well spread; the shard only has to be stable, not secret.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return `${policy}:${(hash >>> 0) % LIMITER_SHARDS}`;
}

/** Keys past this many make the object drop the ones whose windows have slid out entirely. */
const SWEEP_ABOVE_KEYS = 10_000;

/**
 * The embedded limiter (used when Upstash is not configured): one object per policy and shard,
 * named by `limiterObjectName` (`<policy>:<shard>`), counting each key apart.
 *
 * - Global: Cloudflare runs each named object in exactly one place, so every edge location
 *   counts against the same window. The price is one round trip to wherever the object lives;
 *   an isolate sends one call per object at a time, carrying every request waiting for it.
 * - In memory: counts are not written to storage. An object is evicted only after it has been
 *   idle for a while (about a minute or more in production), by which time a window of a
 *   minute or less has slid past anyway; longer windows may forget early after an idle spell.
 *   Forgetting errs on the side of letting users in, never of locking them out.
 * - Atomic: no method awaits, so concurrent requests for one key cannot interleave.
 *
 * Cloudflare's native `[[ratelimits]]` binding is not used because its limits are fixed in
 * wrangler.toml (10 s or 60 s periods only) and it reports neither remaining nor reset, which
 * the `RateLimit-*` headers and var-configured limits need.
 */
export class RateLimiterObject extends DurableObject<Env> {
  private readonly windows = new Map<string, { counts: WindowCounts; windowMs: number }>();
  private sweepAt = SWEEP_ABOVE_KEYS;
  /** The object's clock. Tests pin it (`runInDurableObject`) to put a burst anywhere in a window. */
  now: () => number = () => Date.now();

  /** Counts one request for `key`; called over RPC by `DurableObjectRateLimiter`. */
  limit(limit: number, windowMs: number, key = ''): WindowVerdict {
    return consumeSlidingWindow(this.countsFor(key, windowMs), limit, windowMs, this.now());
  }

  /** Every ask of one isolate's batch, in order: the same as one `lease` call each. */
  leaseMany(asks: LeaseAsk[]): LeaseGrant[] {
    const now = this.now();
    return asks.map(({ key, limit, windowMs, want, returned, ahead }) =>
      grantLease(this.countsFor(key, windowMs), limit, windowMs, want, returned, now, ahead === true),
    );
  }

  /** For `/healthz?deep=1`: proves the namespace answers, without counting anything. */
  ping(): 'pong' {
    return 'pong';
  }

  private countsFor(key: string, windowMs: number): WindowCounts {
    const known = this.windows.get(key);
    if (known) {
      known.windowMs = windowMs;
      return known.counts;
    }
    if (this.windows.size >= this.sweepAt) {
      this.sweep();
      // Many live keys: sweep again only once they have doubled, not on every new one.
      this.sweepAt = Math.max(SWEEP_ABOVE_KEYS, this.windows.size * 2);
    }
    const counts = emptyWindowCounts();
    this.windows.set(key, { counts, windowMs });
    return counts;
  }

  /** Drops keys whose last two windows are over: counting them again from zero is what they would get anyway. */
  private sweep(): void {
    const now = this.now();
    for (const [key, { counts, windowMs }] of this.windows) if (now - counts.windowStart >= 2 * windowMs) this.windows.delete(key);
  }
}
