export interface WaitForOptions {
  /** Give up (reject) after this many milliseconds. */
  timeoutMs?: number;
  /** Pause between attempts. */
  intervalMs?: number;
  /** Included in the timeout error to say what was being waited for. */
  description?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a truthy value (which is then resolved) or
 * the deadline passes. A probe that throws counts as "not yet"; the last error
 * is attached as the cause of the timeout error so failures stay debuggable.
 *
 * This is a deadline for readiness, not a timing assertion: never use how long
 * it took as a test result.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 25, description = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
