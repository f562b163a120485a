import * as v from 'valibot';
import type { SignalCounter } from '../../shared/signals';
import { MINUTE_MS } from '../../shared/signals';
import type { Config } from '../config';
import { flushEmbeddedSignals, SIGNAL_STORE_NAME } from './sink';

/**
 * Reading the counters back, from either store, for the guard and the report: per `stepMs` step
 * (the guard asks for one step covering its whole window) in [sinceMs, untilMs).
 */
export interface SignalQuery {
  counters(sinceMs: number, untilMs: number, stepMs: number): Promise<SignalCounter[]>;
}

export class DurableObjectSignalQuery implements SignalQuery {
  constructor(private readonly env: Env) {}

  async counters(sinceMs: number, untilMs: number, stepMs: number): Promise<SignalCounter[]> {
    // What this isolate still holds goes first, so a report right after traffic sees it.
    await flushEmbeddedSignals(this.env);
    const store = this.env.SIGNAL_STORE.get(this.env.SIGNAL_STORE.idFromName(SIGNAL_STORE_NAME));
    return store.counters(sinceMs, untilMs, stepMs);
  }
}

export class SignalQueryError extends Error {
  override name = 'SignalQueryError';
}

/** The SQL API's JSON answer (`FORMAT JSON`): `{meta, data, rows, …}`. */
const SqlApiAnswerSchema = v.looseObject({
  data: v.array(
    v.looseObject({
      t: v.union([v.number(), v.string()]),
      variant: v.string(),
      kind: v.string(),
      label: v.string(),
      count: v.union([v.number(), v.string()]),
    }),
  ),
});

/**
 * Workers Analytics Engine through its SQL API: `POST /accounts/{id}/analytics_engine/sql` with
 * the query as the body and a Bearer API token. Sampling is undone with `_sample_interval`.
 */
export class AnalyticsEngineSignalQuery implements SignalQuery {
  constructor(
    private readonly access: NonNullable<Config['signals']['analyticsEngine']>,
    private readonly timeoutMs = 10_000,
  ) {}

  sql(sinceMs: number, untilMs: number, stepMs: number): string {
    const stepSeconds = Math.max(60, Math.floor(stepMs / MINUTE_MS) * 60);
    const dataset = this.access.dataset.replace(/[^A-Za-z0-9_]/g, '');
    return [
      `SELECT intDiv(toUInt32(timestamp), ${stepSeconds}) * ${stepSeconds} AS t, blob1 AS variant, blob2 AS kind, blob3 AS label,`,
      `SUM(_sample_interval * double1) AS count`,
      `FROM ${dataset}`,
      `WHERE timestamp >= toDateTime(${Math.floor(sinceMs / 1000)}) AND timestamp < toDateTime(${Math.ceil(untilMs / 1000)})`,
      `GROUP BY t, variant, kind, label`,
      `ORDER BY t`,
      `FORMAT JSON`,
    ].join('\n');
  }

  async counters(sinceMs: number, untilMs: number, stepMs: number): Promise<SignalCounter[]> {
    const url = `${this.access.apiBaseUrl}/accounts/${encodeURIComponent(this.access.accountId)}/analytics_engine/sql`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.access.apiToken}`, 'content-type': 'text/plain' },
        body: this.sql(sinceMs, untilMs, stepMs),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SignalQueryError(`Analytics Engine SQL API unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await res.text();
    // Never echo the body at length (it may quote the query); the status says enough.
    if (!res.ok) throw new SignalQueryError(`Analytics Engine SQL API answered ${res.status}: ${text.slice(0, 200)}`);
    let parsed: v.InferOutput<typeof SqlApiAnswerSchema>;
    try {
      parsed = v.parse(SqlApiAnswerSchema, JSON.parse(text));
    } catch {
      throw new SignalQueryError('Analytics Engine SQL API answered something that is not its JSON format');
    }
    return parsed.data.flatMap((row): SignalCounter[] => {
      if (row.variant !== 'chatkit' && row.variant !== 'legacy') return [];
      const t = typeof row.t === 'number' ? row.t : Number(row.t);
      return [{ minute: t * 1000, variant: row.variant, kind: row.kind as SignalCounter['kind'], label: row.label, count: Number(row.count) }];
    });
  }
}

export function signalQueryFor(env: Env, config: Config): SignalQuery {
  if (config.signals.store === 'analytics_engine' && config.signals.analyticsEngine) return new AnalyticsEngineSignalQuery(config.signals.analyticsEngine);
  return new DurableObjectSignalQuery(env);
}
