import type { CounterKind, SignalCounter, SignalVariant } from '../../shared/signals';
import { minuteOf } from '../../shared/signals';
import type { CounterIncrement } from './signal';

/**
 * Per-isolate counters waiting to be flushed to the embedded store. Recording is a Map update
 * (no I/O, no await); a flush hands everything over in one batch. Bounded: past
 * {@link MAX_PENDING_KEYS} distinct counters new ones are dropped (and counted) until a flush.
 */
export const MAX_PENDING_KEYS = 5_000;

export class SignalAggregator {
  private pending = new Map<string, SignalCounter>();
  private pendingSince: number | null = null;
  private increments = 0;
  dropped = 0;

  add(now: number, variant: SignalVariant, counters: readonly CounterIncrement[]): void {
    const minute = minuteOf(now);
    for (const { kind, label } of counters) {
      const key = `${minute}|${variant}|${kind}|${label}`;
      const row = this.pending.get(key);
      if (row) row.count += 1;
      else if (this.pending.size >= MAX_PENDING_KEYS) this.dropped += 1;
      else this.pending.set(key, { minute, variant, kind: kind as CounterKind, label, count: 1 });
    }
    this.increments += 1;
    this.pendingSince ??= now;
  }

  /** True when a batch is due: enough events, or the oldest one waited long enough. */
  due(now: number, maxEvents: number, maxAgeMs: number): boolean {
    return this.pendingSince !== null && (this.increments >= maxEvents || now - this.pendingSince >= maxAgeMs);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Takes everything pending (synchronously, so concurrent flushes never send a row twice). */
  drain(): SignalCounter[] {
    const rows = [...this.pending.values()];
    this.pending = new Map();
    this.pendingSince = null;
    this.increments = 0;
    return rows;
  }
}
