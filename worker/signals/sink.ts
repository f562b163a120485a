import type { Config } from '../config';
import { logEvent } from '../lib/log';
import { SignalAggregator } from './aggregate';
import { countersOf, type Signal } from './signal';

/**
 * Where signals go. Recording is synchronous and never throws: it must cost a few microseconds
 * on the request path and can never fail a request (README "Operations: guarded rollout").
 *
 * - `embedded`: counters in a per-isolate {@link SignalAggregator}, sent to the SignalStoreObject
 *   in one batch every {@link FLUSH_EVERY_EVENTS} events or {@link FLUSH_EVERY_MS}, in
 *   `waitUntil` (a Durable Object call costs ~60 µs, far too much per request).
 * - `analytics_engine`: one `writeDataPoint` per counter, which the runtime sends in the
 *   background by design (nothing to await, nothing to batch).
 */
export interface SignalSink {
  record(signal: Signal): void;
}

export const FLUSH_EVERY_EVENTS = 200;
export const FLUSH_EVERY_MS = 5_000;
export const SIGNAL_STORE_NAME = 'signals';

const aggregators = new WeakMap<object, SignalAggregator>();

/** The isolate's pending counters for this Durable Object namespace. */
export function aggregatorFor(namespace: object): SignalAggregator {
  let aggregator = aggregators.get(namespace);
  if (!aggregator) {
    aggregator = new SignalAggregator();
    aggregators.set(namespace, aggregator);
  }
  return aggregator;
}

let lastFailureLog = 0;
/** At most one line a minute per isolate: a broken store must not flood the logs either. */
function logRecordFailure(event: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const now = Date.now();
  if (now - lastFailureLog < 60_000) return;
  lastFailureLog = now;
  logEvent('warn', event, { error: error instanceof Error ? error.message : String(error), ...fields });
}

/** Sends the isolate's pending counters to the embedded store; a failed batch is dropped and logged. */
export async function flushEmbeddedSignals(env: Env): Promise<number> {
  let rows: ReturnType<SignalAggregator['drain']> = [];
  try {
    rows = aggregatorFor(env.SIGNAL_STORE).drain();
    if (rows.length === 0) return 0;
    const store = env.SIGNAL_STORE.get(env.SIGNAL_STORE.idFromName(SIGNAL_STORE_NAME));
    await store.add(rows);
    return rows.length;
  } catch (error) {
    logRecordFailure('signals_flush_failed', error, { counters: rows.length });
    return 0;
  }
}

class EmbeddedSink implements SignalSink {
  constructor(
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  record(signal: Signal): void {
    const now = Date.now();
    const aggregator = aggregatorFor(this.env.SIGNAL_STORE);
    aggregator.add(now, signal.variant, countersOf(signal));
    if (aggregator.due(now, FLUSH_EVERY_EVENTS, FLUSH_EVERY_MS)) this.waitUntil(flushEmbeddedSignals(this.env));
  }
}

class AnalyticsEngineSink implements SignalSink {
  constructor(private readonly dataset: AnalyticsEngineDataset) {}

  record(signal: Signal): void {
    // One data point per counter: blob1 variant, blob2 kind, blob3 label, blob4 ChatKit mode;
    // double1 the increment. The SQL API sums `double1 * _sample_interval` (query.ts).
    for (const { kind, label } of countersOf(signal)) {
      this.dataset.writeDataPoint({ blobs: [signal.variant, kind, label, signal.mode], doubles: [1], indexes: [signal.variant] });
    }
  }
}

export function signalSinkFor(env: Env, config: Config, waitUntil: (promise: Promise<unknown>) => void): SignalSink {
  return config.signals.store === 'analytics_engine' ? new AnalyticsEngineSink(env.SIGNALS_DATASET) : new EmbeddedSink(env, waitUntil);
}

/** Records one signal; whatever goes wrong is logged (rarely) and swallowed. */
export function recordSignal(env: Env, config: Config, waitUntil: (promise: Promise<unknown>) => void, signal: Signal): void {
  try {
    signalSinkFor(env, config, waitUntil).record(signal);
  } catch (error) {
    logRecordFailure('signal_record_failed', error, { store: config.signals.store });
  }
}
