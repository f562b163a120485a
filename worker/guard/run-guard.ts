import { KV_KEY_FLAGS, KV_KEY_ROLLBACK } from '../../shared/flags';
import {
  currentGuardState,
  decideGuard,
  KV_KEY_GUARD_STATE,
  rolloutSeries,
  rolloutStats,
  seriesStepMs,
  type GuardRun,
  type RolloutReport,
} from '../../shared/rollout';
import { minuteOf } from '../../shared/signals';
import type { Config } from '../config';
import { logEvent } from '../lib/log';
import type { SignalQuery } from '../signals/query';
import { RETENTION_MS } from '../signals/store-object';
import { appendAuditEntry, readRolloutKv } from './rollout-kv';

/**
 * One evaluation of the rollout plan: the cron (every minute), `POST /api/ops/guard` and
 * `npm run flags -- guard` all run this. The window is the current stage (since the rollout
 * percentage last changed); rollback sets KV `rollback`, advance raises the rollout percentage.
 */
export type { GuardRun } from '../../shared/rollout';

const WHOLE_WINDOW_STEP_MS = 10 * 365 * 24 * 3_600_000;

export async function runGuard(env: Env, config: Config, query: SignalQuery, options: { dryRun?: boolean; now?: number } = {}): Promise<GuardRun> {
  const now = options.now ?? Date.now();
  const dryRun = options.dryRun ?? false;
  const kv = await readRolloutKv(env.FLAGS);
  const rolloutPercent = kv.flags.chatkit.rollout_percent;
  const state = currentGuardState(kv.state, rolloutPercent, now);
  const sinceMs = Math.max(minuteOf(Date.parse(state.stage_entered_at)), now - RETENTION_MS);
  const untilMs = minuteOf(now) + 60_000;
  const stats = rolloutStats(await query.counters(sinceMs, untilMs, WHOLE_WINDOW_STEP_MS));
  const verdict = decideGuard({ plan: kv.plan, stats, state, flags: { rollback: kv.rollback || config.rollbackVar, rollout_percent: rolloutPercent }, now });
  const run: GuardRun = { ...verdict, dry_run: dryRun, acted: false, window: { since: new Date(sinceMs).toISOString(), until: new Date(now).toISOString() } };
  if (dryRun) return run;

  const time = new Date(now).toISOString();
  let nextState = state;
  if (verdict.decision === 'rollback') {
    await env.FLAGS.put(KV_KEY_ROLLBACK, 'true');
    await appendAuditEntry(env.FLAGS, {
      time,
      actor: 'guard',
      action: 'rollback on',
      before: { rollback: false },
      after: { rollback: true },
      reason: verdict.reason,
      numbers: verdict.numbers,
    });
    logEvent('error', 'rollout_guard_tripped', { reason: verdict.reason, ...verdict.numbers });
    run.acted = true;
  } else if (verdict.decision === 'advance' && verdict.next_percent !== undefined) {
    const flags = { ...kv.flags, chatkit: { ...kv.flags.chatkit, rollout_percent: verdict.next_percent } };
    await env.FLAGS.put(KV_KEY_FLAGS, JSON.stringify(flags));
    await appendAuditEntry(env.FLAGS, {
      time,
      actor: 'guard',
      action: `rollout ${verdict.next_percent}`,
      before: { rollout_percent: rolloutPercent },
      after: { rollout_percent: verdict.next_percent },
      reason: verdict.reason,
      numbers: verdict.numbers,
    });
    logEvent('warn', 'rollout_advanced', { reason: verdict.reason, from: rolloutPercent, to: verdict.next_percent, ...verdict.numbers });
    nextState = { stage_percent: verdict.next_percent, stage_entered_at: time };
    run.acted = true;
  }
  // Written only when something changed (a KV write a minute would be a waste): a new stage, or a new decision.
  if (!kv.state || nextState !== kv.state || kv.state.last_decision !== verdict.decision) {
    await env.FLAGS.put(KV_KEY_GUARD_STATE, JSON.stringify({ ...nextState, last_run_at: time, last_decision: verdict.decision, last_reason: verdict.reason }));
  }
  return run;
}

/** The report `npm run flags -- report` prints: both variants since `sinceMs`, a series, the guard's verdict (dry run). */
export async function buildReport(env: Env, config: Config, query: SignalQuery, sinceMs: number, now = Date.now()): Promise<RolloutReport> {
  const since = minuteOf(Math.max(sinceMs, now - RETENTION_MS));
  const until = minuteOf(now) + 60_000;
  const step = seriesStepMs(until - since);
  const rows = await query.counters(since, until, step);
  const guard = await runGuard(env, config, query, { dryRun: true, now });
  return {
    since: new Date(since).toISOString(),
    until: new Date(now).toISOString(),
    variants: rolloutStats(rows),
    guard: { decision: guard.decision, reason: guard.reason },
    series: rolloutSeries(rows, since, until - 1, step),
  };
}
