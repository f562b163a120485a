import { DurableObject } from 'cloudflare:workers';

export interface WindowVerdict {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the current window ends. */
  reset: number;
}

/**
 * The embedded limiter: one object per (policy, key), counting a sliding window the same way
 * `@upstash/ratelimit`'s slidingWindow does (the previous fixed window weighted by how much of
 * it still overlaps). Counts live in memory: an evicted object forgets, which errs on the side
 * of letting users in, never of locking them out.
 */
export class RateLimiterObject extends DurableObject {
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  limit(limit: number, windowMs: number, now = Date.now()): WindowVerdict {
    const start = now - (now % windowMs);
    if (start !== this.windowStart) {
      this.previous = start - this.windowStart === windowMs ? this.current : 0;
      this.current = 0;
      this.windowStart = start;
    }
    const overlap = 1 - (now - start) / windowMs;
    const used = Math.floor(this.previous * overlap) + this.current;
    const reset = start + windowMs;
    if (used >= limit) return { success: false, limit, remaining: 0, reset };
    this.current += 1;
    return { success: true, limit, remaining: Math.max(0, limit - used - 1), reset };
  }
}
