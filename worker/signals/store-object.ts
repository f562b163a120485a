import { DurableObject } from 'cloudflare:workers';
import { MINUTE_MS, type SignalCounter } from '../../shared/signals';

/**
 * The embedded signal store (SIGNALS_STORE = "embedded"): one SQLite-backed object, named
 * `signals`, holding per-minute counters (shared/signals.ts). Isolates send it batches (a few
 * seconds or events at a time, never one call per request); the guard and the report read grouped
 * sums. Rows older than {@link RETENTION_MS} are pruned, at most once an hour.
 */
export const RETENTION_MS = 8 * 24 * 60 * MINUTE_MS;
const PRUNE_EVERY_MS = 60 * MINUTE_MS;

export class SignalStoreObject extends DurableObject<Env> {
  private lastPrune = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS counters (
         minute INTEGER NOT NULL, variant TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL, count INTEGER NOT NULL,
         PRIMARY KEY (minute, variant, kind, label)
       ) WITHOUT ROWID`,
    );
  }

  /** Adds one batch of counters (called over RPC by the embedded sink). */
  add(rows: SignalCounter[]): number {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const row of rows) {
        sql.exec(
          `INSERT INTO counters (minute, variant, kind, label, count) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (minute, variant, kind, label) DO UPDATE SET count = count + excluded.count`,
          row.minute,
          row.variant,
          row.kind,
          row.label,
          row.count,
        );
      }
    });
    const now = Date.now();
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      sql.exec('DELETE FROM counters WHERE minute < ?', now - RETENTION_MS);
    }
    return rows.length;
  }

  /** Sums per `stepMs` step in [sinceMs, untilMs); each row's `minute` is its step's start. */
  counters(sinceMs: number, untilMs: number, stepMs: number): SignalCounter[] {
    const step = Math.max(MINUTE_MS, Math.floor(stepMs / MINUTE_MS) * MINUTE_MS);
    return this.ctx.storage.sql
      .exec<{ minute: number; variant: string; kind: string; label: string; count: number }>(
        `SELECT (minute / ?) * ? AS minute, variant, kind, label, SUM(count) AS count FROM counters
         WHERE minute >= ? AND minute < ? GROUP BY 1, 2, 3, 4 ORDER BY 1`,
        step,
        step,
        sinceMs,
        untilMs,
      )
      .toArray() as unknown as SignalCounter[];
  }
}
