/**
 * Failure injection for the OpenAI fake. A mode applies to the next `times`
 * API requests (or to all of them until changed when `times` is omitted), then
 * the fake falls back to answering normally.
 */

import { isJsonObject } from '../../shared/json';

export const FAKE_MODES = ['ok', '401', '403', '429', '500', '503', 'hang', 'reset'] as const;
export type FakeMode = (typeof FAKE_MODES)[number];

/** Same field names as the `POST /__fake/mode` JSON body, so both entry points read alike. */
export interface ModeSetting {
  mode: FakeMode;
  /** How many following API requests get this mode; omitted = until changed. */
  times?: number;
  /** Seconds sent in `retry-after` for mode "429" (default 1). */
  retry_after?: number;
}

const DEFAULT_RETRY_AFTER_SECONDS = 1;

export function parseModeSetting(input: unknown): ModeSetting | string {
  const candidate = typeof input === 'string' ? { mode: input } : input;
  if (!isJsonObject(candidate)) {
    return 'expected {"mode": …, "times"?: number, "retry_after"?: number}';
  }
  const { mode, times, retry_after } = candidate;
  if (typeof mode !== 'string' || !(FAKE_MODES as readonly string[]).includes(mode)) {
    return `"mode" must be one of ${FAKE_MODES.join(', ')}`;
  }
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) {
    return '"times" must be a positive integer';
  }
  if (retry_after !== undefined && (typeof retry_after !== 'number' || !(retry_after >= 0))) {
    return '"retry_after" must be a non-negative number of seconds';
  }
  return { mode: mode as FakeMode, times, retry_after };
}

export interface ActiveFailure {
  mode: FakeMode;
  retryAfterSeconds: number;
}

export class FailureSchedule {
  private setting: ModeSetting = { mode: 'ok' };
  private remaining = Infinity;

  set(setting: ModeSetting): void {
    this.setting = setting;
    this.remaining = setting.times ?? Infinity;
  }

  get current(): ModeSetting & { remaining: number | null } {
    return { ...this.setting, remaining: Number.isFinite(this.remaining) ? this.remaining : null };
  }

  /** Decides the fate of one API request and consumes one use of a bounded mode. */
  take(): ActiveFailure {
    const { mode, retry_after } = this.setting;
    if (mode !== 'ok') {
      this.remaining -= 1;
      if (this.remaining <= 0) this.set({ mode: 'ok' });
    }
    return { mode, retryAfterSeconds: retry_after ?? DEFAULT_RETRY_AFTER_SECONDS };
  }
}
