/** What {@link withinTime} resolves with when the time ran out first. */
export const TIMED_OUT = Symbol('timed out');

/**
 * Resolves with `work`'s value, or `TIMED_OUT` once `ms` have passed. The timer is cleared
 * either way so a fast answer leaves nothing scheduled behind.
 */
export async function withinTime<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
