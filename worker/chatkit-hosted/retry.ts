/** Outcome of `retryOnce`: the value or the last error, with how many calls were made. */
export type Attempted<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };

export interface RetryOnceOptions {
  /** Decides from the first failure whether one more call is worth it. */
  retryIf: (error: unknown) => boolean;
  /** Called just before waiting, e.g. to log the retry. */
  onRetry?: (error: unknown, delayMs: number) => void;
  /** The pause before the second call; jittered so a burst of failing isolates does not retry in lockstep. */
  delayMs?: () => number;
}

/** 100–300 ms: long enough for a blip to pass, short next to the user's wait for a chat window. */
export const jitteredDelayMs = (): number => 100 + Math.floor(Math.random() * 201);

/** Calls `fn`; if it fails with an error `retryIf` accepts, waits once and calls it exactly one more time. */
export async function retryOnce<T>(fn: (attempt: number) => Promise<T>, options: RetryOnceOptions): Promise<Attempted<T>> {
  try {
    return { ok: true, value: await fn(1), attempts: 1 };
  } catch (first) {
    if (!options.retryIf(first)) return { ok: false, error: first, attempts: 1 };
    const delay = (options.delayMs ?? jitteredDelayMs)();
    options.onRetry?.(first, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      return { ok: true, value: await fn(2), attempts: 2 };
    } catch (second) {
      return { ok: false, error: second, attempts: 2 };
    }
  }
}
