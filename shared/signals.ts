/**
 * The rollout signals' data model, shared by the worker (recording, both stores), the ops command
 * (report) and the tests. Every signal becomes one or more **counters**: per minute, per variant, a
 * `kind` and a `label` whose count goes up by one. Both stores (the embedded Durable Object and
 * Workers Analytics Engine) keep exactly these counters, so the report and the guard read the same
 * rows from either (README "Operations: guarded rollout").
 */
import type { ChatVariant } from './flags';

export type SignalVariant = ChatVariant;

/** What became of one API call (README "Operations: guarded rollout" says which count as errors). */
export const OUTCOMES = ['ok', 'client_error', 'rate_limited', 'upstream_error', 'timeout', 'stream_error', 'aborted'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Failures the variant is to blame for. A 4xx, a 429 or a user leaving are not. */
export const ERROR_OUTCOMES: ReadonlySet<Outcome> = new Set(['upstream_error', 'timeout', 'stream_error']);

export const ROUTE_CLASSES = ['turn', 'history', 'tasks', 'session', 'other'] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export type CounterKind =
  /** label `<route class>:<outcome>` */
  | 'outcome'
  /** label = histogram bucket index: time to first token of a turn */
  | 'ttft'
  /** label = histogram bucket index: whole turn duration */
  | 'duration'
  /** label `up` | `down` */
  | 'feedback'
  /** label `ready` | `fallback:<reason>` | `chatkit_error` | `legacy_stream_error` */
  | 'browser'
  /** label = histogram bucket index: navigation to a usable chat input */
  | 'ready_ms';

export interface SignalCounter {
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  variant: SignalVariant;
  kind: CounterKind;
  label: string;
  count: number;
}

/**
 * Fixed histogram bucket upper bounds (ms). p50/p95 are read from bucket counts (the upper bound of
 * the bucket holding the quantile), identical in both stores; the last bucket is open-ended.
 */
export const LATENCY_BUCKETS_MS = [
  25, 50, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000,
] as const;

export function latencyBucket(ms: number): number {
  for (let index = 0; index < LATENCY_BUCKETS_MS.length; index++) if (ms <= LATENCY_BUCKETS_MS[index]!) return index;
  return LATENCY_BUCKETS_MS.length;
}

/** The upper bound of a bucket; the open-ended last one reports twice the last bound. */
export function bucketUpperMs(index: number): number {
  return LATENCY_BUCKETS_MS[index] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]! * 2;
}

export const MINUTE_MS = 60_000;
export const minuteOf = (epochMs: number): number => Math.floor(epochMs / MINUTE_MS) * MINUTE_MS;
