import type { ChatkitMode } from '../../shared/flags';
import { latencyBucket, type CounterKind, type Outcome, type RouteClass, type SignalVariant } from '../../shared/signals';

/** One thing that happened, as the recording side sees it (turned into counters by {@link countersOf}). */
export type Signal =
  | { type: 'call'; variant: SignalVariant; mode: ChatkitMode; route: RouteClass; outcome: Outcome; ttftMs: number | null; durationMs: number }
  | { type: 'feedback'; variant: SignalVariant; mode: ChatkitMode; rating: 'up' | 'down' }
  | { type: 'browser'; variant: SignalVariant; mode: ChatkitMode; label: string; readyMs: number | null };

export interface CounterIncrement {
  kind: CounterKind;
  label: string;
}

/** The counters one signal increments (shared/signals.ts). Turn durations count for answered turns only. */
export function countersOf(signal: Signal): CounterIncrement[] {
  switch (signal.type) {
    case 'call': {
      const counters: CounterIncrement[] = [{ kind: 'outcome', label: `${signal.route}:${signal.outcome}` }];
      if (signal.route === 'turn') {
        if (signal.ttftMs !== null) counters.push({ kind: 'ttft', label: String(latencyBucket(signal.ttftMs)) });
        if (signal.outcome === 'ok') counters.push({ kind: 'duration', label: String(latencyBucket(signal.durationMs)) });
      }
      return counters;
    }
    case 'feedback':
      return [{ kind: 'feedback', label: signal.rating }];
    case 'browser': {
      const counters: CounterIncrement[] = [{ kind: 'browser', label: signal.label }];
      if (signal.readyMs !== null) counters.push({ kind: 'ready_ms', label: String(latencyBucket(signal.readyMs)) });
      return counters;
    }
  }
}
