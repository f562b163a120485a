/**
 * The sliding-window counter, as plain synchronous code so the Durable Object stays atomic
 * (no `await` between read and write) and a benchmark can time it without any I/O.
 *
 * It is the same approximation `@upstash/ratelimit`'s `slidingWindow` runs in Redis: windows are
 * aligned to the epoch, and the previous window's count is weighted by how much of it still
 * overlaps the sliding window ending now (rounded down). Both backends therefore answer the
 * same burst the same way, and a user refused until `reset` always gets at least one request
 * right after it.
 */

export interface WindowCounts {
  /** Unix ms at which the current fixed window started. */
  windowStart: number;
  /** Requests counted in the current fixed window. */
  current: number;
  /** Requests counted in the window just before it. */
  previous: number;
}

export interface WindowVerdict {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the current fixed window ends. */
  reset: number;
}

export function emptyWindowCounts(): WindowCounts {
  return { windowStart: 0, current: 0, previous: 0 };
}

/**
 * Moves `counts` to the fixed window holding `now` and says how many requests the sliding window
 * ending at `now` holds, and when the fixed window ends.
 */
export function slideWindow(counts: WindowCounts, windowMs: number, now: number): { used: number; reset: number } {
  const start = now - (now % windowMs);
  if (start !== counts.windowStart) {
    // Only the window immediately before still overlaps; anything older has slid out entirely.
    counts.previous = start - counts.windowStart === windowMs ? counts.current : 0;
    counts.current = 0;
    counts.windowStart = start;
  }
  const overlap = 1 - (now - start) / windowMs;
  return { used: Math.floor(counts.previous * overlap) + counts.current, reset: start + windowMs };
}

/** Counts one request against `limit` per `windowMs` at `now`, mutating `counts` if it is allowed. */
export function consumeSlidingWindow(counts: WindowCounts, limit: number, windowMs: number, now: number): WindowVerdict {
  const { used, reset } = slideWindow(counts, windowMs, now);
  if (used >= limit) return { success: false, limit, remaining: 0, reset };
  counts.current += 1;
  return { success: true, limit, remaining: Math.max(0, limit - used - 1), reset };
}
