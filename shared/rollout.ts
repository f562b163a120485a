import * as v from 'valibot';
import { bucketUpperMs, ERROR_OUTCOMES, OUTCOMES, type Outcome, type SignalCounter, type SignalVariant } from './signals';

/**
 * The guarded rollout: the plan, the guard's state and the audit trail as kept in Workers KV, the
 * report's maths and the guard's decision. Pure functions only, so the worker's cron, the ops
 * route, the ops command and the tests all compute the same thing from the same counters.
 */

// --- KV documents --------------------------------------------------------------------------------

export const KV_KEY_PLAN = 'rollout_plan';
export const KV_KEY_GUARD_STATE = 'rollout_guard_state';
export const KV_KEY_AUDIT = 'audit_log';
export const AUDIT_LIMIT = 500;

const percent = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100));

export const RolloutPlanSchema = v.pipe(
  v.object({
    /** Rollout percentages in increasing order, e.g. [10, 50, 100]. */
    stages: v.pipe(
      v.array(percent),
      v.minLength(1, 'needs at least one stage'),
      v.check((stages) => stages.every((stage, i) => i === 0 || stage > stages[i - 1]!), 'stages must increase'),
    ),
    /** Turns each variant needs in the window before the guard judges anything. */
    min_turns: v.pipe(v.number(), v.integer(), v.minValue(1)),
    /** Percentage points ChatKit's error rate may exceed legacy's (at 95 % confidence). */
    max_error_delta: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
    /** ChatKit's p95 time to first token may be at most this multiple of legacy's. */
    max_ttft_ratio: v.pipe(v.number(), v.minValue(1)),
    /** Browser fallbacks (ChatKit script failed, page fell back) as % of ChatKit page loads. */
    max_fallback_rate: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 5),
    /** How long a stage must be healthy before auto-advance moves on. */
    dwell_seconds: v.pipe(v.number(), v.integer(), v.minValue(0)),
    auto_advance: v.optional(v.boolean(), false),
    updated_at: v.optional(v.string()),
    updated_by: v.optional(v.string()),
  }),
);
export type RolloutPlan = v.InferOutput<typeof RolloutPlanSchema>;

export const GuardStateSchema = v.object({
  /** The rollout percentage the guard last saw; a different one means a new stage began. */
  stage_percent: v.number(),
  stage_entered_at: v.string(),
  last_run_at: v.optional(v.string()),
  last_decision: v.optional(v.picklist(['hold', 'advance', 'rollback'])),
  last_reason: v.optional(v.string()),
});
export type GuardState = v.InferOutput<typeof GuardStateSchema>;

export const AuditEntrySchema = v.object({
  time: v.string(),
  /** `guard`, or the operator (git config user.name / $USER). */
  actor: v.string(),
  action: v.string(),
  before: v.unknown(),
  after: v.unknown(),
  /** The guard's numbers and reason, for its own entries. */
  reason: v.optional(v.string()),
  numbers: v.optional(v.unknown()),
});
export type AuditEntry = v.InferOutput<typeof AuditEntrySchema>;
export const AuditLogSchema = v.array(AuditEntrySchema);

/** Appends, keeping the newest {@link AUDIT_LIMIT}. */
export function appendAudit(log: readonly AuditEntry[], entry: AuditEntry): AuditEntry[] {
  return [...log, entry].slice(-AUDIT_LIMIT);
}

export function parseJsonWith<T>(schema: v.GenericSchema<unknown, T>, text: string | null): T | null {
  if (text === null) return null;
  try {
    const result = v.safeParse(schema, JSON.parse(text));
    return result.success ? result.output : null;
  } catch {
    return null;
  }
}

/** `90s`, `30m`, `24h`, `7d` (or bare seconds) → seconds; null when unreadable. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(match[1]) * unit);
}

export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds > 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

// --- Statistics ----------------------------------------------------------------------------------

const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for a proportion (95 %); [0, 1] when there are no trials. */
export function wilsonInterval(successes: number, trials: number, z = Z95): Interval {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - margin), high: Math.min(1, centre + margin) };
}

/**
 * Newcombe's hybrid score interval (his method 10) for p1 − p2, built from the two Wilson
 * intervals: sound for small counts and rates near 0, where the textbook Wald interval is not.
 */
export function newcombeDifference(errors1: number, n1: number, errors2: number, n2: number): Interval & { difference: number } {
  const p1 = n1 === 0 ? 0 : errors1 / n1;
  const p2 = n2 === 0 ? 0 : errors2 / n2;
  const w1 = wilsonInterval(errors1, n1);
  const w2 = wilsonInterval(errors2, n2);
  const difference = p1 - p2;
  return {
    difference,
    low: difference - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: difference + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

/** Quantile from fixed-bucket counts: the upper bound of the bucket holding it; null if empty. */
export function histogramQuantile(buckets: Readonly<Record<number, number>>, q: number): number | null {
  const entries = Object.entries(buckets)
    .map(([index, count]) => [Number(index), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [index, count] of entries) {
    seen += count;
    if (seen >= rank) return bucketUpperMs(index);
  }
  return bucketUpperMs(entries[entries.length - 1]![0]);
}

export interface VariantTallies {
  /** Chat turns by outcome. */
  turnOutcomes: Record<Outcome, number>;
  /** Every other API call, errors only, for the report's context. */
  otherErrors: number;
  otherCalls: number;
  ttft: Record<number, number>;
  duration: Record<number, number>;
  readyMs: Record<number, number>;
  feedbackUp: number;
  feedbackDown: number;
  pageLoads: number;
  fallbacks: number;
  fallbackReasons: Record<string, number>;
  chatkitErrors: number;
  legacyStreamErrors: number;
}

export function emptyTallies(): VariantTallies {
  return {
    turnOutcomes: Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>,
    otherErrors: 0,
    otherCalls: 0,
    ttft: {},
    duration: {},
    readyMs: {},
    feedbackUp: 0,
    feedbackDown: 0,
    pageLoads: 0,
    fallbacks: 0,
    fallbackReasons: {},
    chatkitErrors: 0,
    legacyStreamErrors: 0,
  };
}

const bump = (record: Record<number | string, number>, key: number | string, by: number) => {
  record[key] = (record[key] ?? 0) + by;
};

/** Folds counter rows (from either store) into per-variant tallies. Unknown labels are ignored. */
export function tallyCounters(rows: readonly SignalCounter[]): Record<SignalVariant, VariantTallies> {
  const tallies: Record<SignalVariant, VariantTallies> = { chatkit: emptyTallies(), legacy: emptyTallies() };
  for (const row of rows) {
    const t = tallies[row.variant];
    if (!t) continue;
    switch (row.kind) {
      case 'outcome': {
        const [route, outcome] = row.label.split(':') as [string, Outcome];
        if (!(OUTCOMES as readonly string[]).includes(outcome)) break;
        if (route === 'turn') t.turnOutcomes[outcome] += row.count;
        else {
          t.otherCalls += row.count;
          if (ERROR_OUTCOMES.has(outcome)) t.otherErrors += row.count;
        }
        break;
      }
      case 'ttft':
        bump(t.ttft, Number(row.label), row.count);
        break;
      case 'duration':
        bump(t.duration, Number(row.label), row.count);
        break;
      case 'ready_ms':
        bump(t.readyMs, Number(row.label), row.count);
        break;
      case 'feedback':
        if (row.label === 'up') t.feedbackUp += row.count;
        else if (row.label === 'down') t.feedbackDown += row.count;
        break;
      case 'browser':
        if (row.label === 'ready') t.pageLoads += row.count;
        else if (row.label.startsWith('fallback:')) {
          t.fallbacks += row.count;
          bump(t.fallbackReasons, row.label.slice('fallback:'.length), row.count);
        } else if (row.label === 'chatkit_error') t.chatkitErrors += row.count;
        else if (row.label === 'legacy_stream_error') t.legacyStreamErrors += row.count;
        break;
    }
  }
  return tallies;
}

/** One variant as the report shows it (and `report --json` prints it). */
export interface VariantReport {
  turns: number;
  errors: number;
  error_rate: number;
  error_rate_low: number;
  error_rate_high: number;
  outcomes: Record<Outcome, number>;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
  duration_p95_ms: number | null;
  ready_p50_ms: number | null;
  feedback_up: number;
  feedback_down: number;
  page_loads: number;
  fallbacks: number;
  fallback_rate: number;
  fallback_reasons: Record<string, number>;
  chatkit_errors: number;
  legacy_stream_errors: number;
  other_calls: number;
  other_errors: number;
}

/**
 * Turns that count for the error rate: every turn except those the user ended (`aborted`), was
 * refused (`rate_limited`) or sent wrongly (`client_error`).
 */
export function judgedTurns(outcomes: Record<Outcome, number>): { turns: number; errors: number } {
  const turns = outcomes.ok + outcomes.upstream_error + outcomes.timeout + outcomes.stream_error;
  const errors = outcomes.upstream_error + outcomes.timeout + outcomes.stream_error;
  return { turns, errors };
}

export function variantReport(t: VariantTallies): VariantReport {
  const { turns, errors } = judgedTurns(t.turnOutcomes);
  const interval = wilsonInterval(errors, turns);
  // Each page load ends in one `ready` (the page that became usable), fallback or not.
  const loads = Math.max(t.pageLoads, t.fallbacks);
  return {
    turns,
    errors,
    error_rate: turns === 0 ? 0 : errors / turns,
    error_rate_low: interval.low,
    error_rate_high: interval.high,
    outcomes: { ...t.turnOutcomes },
    ttft_p50_ms: histogramQuantile(t.ttft, 0.5),
    ttft_p95_ms: histogramQuantile(t.ttft, 0.95),
    duration_p95_ms: histogramQuantile(t.duration, 0.95),
    ready_p50_ms: histogramQuantile(t.readyMs, 0.5),
    feedback_up: t.feedbackUp,
    feedback_down: t.feedbackDown,
    page_loads: loads,
    fallbacks: t.fallbacks,
    fallback_rate: loads === 0 ? 0 : t.fallbacks / loads,
    fallback_reasons: { ...t.fallbackReasons },
    chatkit_errors: t.chatkitErrors,
    legacy_stream_errors: t.legacyStreamErrors,
    other_calls: t.otherCalls,
    other_errors: t.otherErrors,
  };
}

export type RolloutStats = Record<SignalVariant, VariantReport>;

export function rolloutStats(rows: readonly SignalCounter[]): RolloutStats {
  const tallies = tallyCounters(rows);
  return { chatkit: variantReport(tallies.chatkit), legacy: variantReport(tallies.legacy) };
}

// --- The guard -----------------------------------------------------------------------------------

/** Page loads the fallback rule needs before it judges (its own minimum: loads are rarer than turns). */
export const MIN_PAGE_LOADS_FOR_FALLBACK_RULE = 20;

export type GuardDecision = 'hold' | 'advance' | 'rollback';

export interface GuardInputs {
  plan: RolloutPlan | null;
  stats: RolloutStats;
  /** The guard's state, already moved to the current stage (see {@link currentGuardState}). */
  state: GuardState;
  flags: { rollback: boolean; rollout_percent: number };
  autoAdvanceAllowed?: boolean;
  now: number;
}

export interface GuardNumbers {
  rollout_percent: number;
  chatkit: { turns: number; errors: number; error_rate: number; ttft_p95_ms: number | null; fallbacks: number; page_loads: number };
  legacy: { turns: number; errors: number; error_rate: number; ttft_p95_ms: number | null };
  error_delta_pp: number;
  error_delta_low_pp: number;
  error_delta_high_pp: number;
  ttft_ratio: number | null;
  fallback_rate_low_pct: number;
  stage_entered_at: string;
  next_stage: number | null;
}

export interface GuardVerdict {
  decision: GuardDecision;
  reason: string;
  /** The rollout percentage to move to (advance only). */
  next_percent?: number;
  numbers: GuardNumbers;
}

/** The stage the guard is in: a rollout percentage it has not seen before starts a new stage now. */
export function currentGuardState(state: GuardState | null, rolloutPercent: number, now: number): GuardState {
  if (state && state.stage_percent === rolloutPercent) return state;
  return { stage_percent: rolloutPercent, stage_entered_at: new Date(now).toISOString() };
}

const pp = (fraction: number) => Math.round(fraction * 10_000) / 100;

/**
 * One evaluation of the rollout plan. Order: nothing to guard → hold; a bad ChatKit → rollback
 * (errors with 95 % confidence, p95 TTFT ratio, browser fallbacks); too few turns → hold; healthy
 * for the dwell time with auto-advance → advance; otherwise hold. It never clears a rollback.
 */
export function decideGuard({ plan, stats, state, flags, now }: GuardInputs): GuardVerdict {
  const ck = stats.chatkit;
  const lg = stats.legacy;
  const delta = newcombeDifference(ck.errors, ck.turns, lg.errors, lg.turns);
  const ttftRatio = ck.ttft_p95_ms !== null && lg.ttft_p95_ms !== null && lg.ttft_p95_ms > 0 ? ck.ttft_p95_ms / lg.ttft_p95_ms : null;
  const fallbackInterval = wilsonInterval(ck.fallbacks, ck.page_loads);
  const nextStage = plan?.stages.find((stage) => stage > flags.rollout_percent) ?? null;
  const numbers: GuardNumbers = {
    rollout_percent: flags.rollout_percent,
    chatkit: { turns: ck.turns, errors: ck.errors, error_rate: ck.error_rate, ttft_p95_ms: ck.ttft_p95_ms, fallbacks: ck.fallbacks, page_loads: ck.page_loads },
    legacy: { turns: lg.turns, errors: lg.errors, error_rate: lg.error_rate, ttft_p95_ms: lg.ttft_p95_ms },
    error_delta_pp: pp(delta.difference),
    error_delta_low_pp: pp(delta.low),
    error_delta_high_pp: pp(delta.high),
    ttft_ratio: ttftRatio === null ? null : Math.round(ttftRatio * 100) / 100,
    fallback_rate_low_pct: pp(fallbackInterval.low),
    stage_entered_at: state.stage_entered_at,
    next_stage: nextStage,
  };
  const verdict = (decision: GuardDecision, reason: string, extra: Partial<GuardVerdict> = {}): GuardVerdict => ({ decision, reason, numbers, ...extra });

  if (!plan) return verdict('hold', 'no rollout plan (npm run flags -- plan …)');
  if (flags.rollback) return verdict('hold', 'rollback is on; the guard never clears it (npm run flags -- rollback off)');
  if (flags.rollout_percent === 0) return verdict('hold', 'ChatKit is at 0 %: nothing to guard');

  // Browser fallbacks have their own minimum: page loads, not turns.
  if (ck.page_loads >= MIN_PAGE_LOADS_FOR_FALLBACK_RULE && fallbackInterval.low * 100 > plan.max_fallback_rate) {
    return verdict(
      'rollback',
      `ChatKit fell back to the legacy chat on ${pp(ck.fallback_rate)} % of ${ck.page_loads} page loads (95 % lower bound ${numbers.fallback_rate_low_pct} % > ${plan.max_fallback_rate} %)`,
    );
  }
  if (ck.turns < plan.min_turns || lg.turns < plan.min_turns) {
    return verdict('hold', `too few turns to judge: chatkit ${ck.turns}, legacy ${lg.turns} (needs ${plan.min_turns} each)`);
  }
  if (delta.low * 100 > plan.max_error_delta) {
    return verdict(
      'rollback',
      `ChatKit's error rate ${pp(ck.error_rate)} % exceeds legacy's ${pp(lg.error_rate)} % by ${numbers.error_delta_pp} points (95 % interval ${numbers.error_delta_low_pp}…${numbers.error_delta_high_pp}, above ${plan.max_error_delta})`,
    );
  }
  if (ttftRatio !== null && ttftRatio > plan.max_ttft_ratio) {
    return verdict(
      'rollback',
      `ChatKit's p95 time to first token ${ck.ttft_p95_ms} ms is ${numbers.ttft_ratio}× legacy's ${lg.ttft_p95_ms} ms (max ${plan.max_ttft_ratio}×)`,
    );
  }
  if (nextStage === null) return verdict('hold', `healthy at ${flags.rollout_percent} %, the last stage`);
  const dwellLeftMs = Date.parse(state.stage_entered_at) + plan.dwell_seconds * 1000 - now;
  if (dwellLeftMs > 0) {
    return verdict(
      'hold',
      `healthy; ${formatDuration(Math.ceil(dwellLeftMs / 1000))} of the ${formatDuration(plan.dwell_seconds)} dwell left at ${flags.rollout_percent} %`,
    );
  }
  if (!plan.auto_advance) return verdict('hold', `healthy for the dwell time; auto-advance is off (npm run flags -- rollout ${nextStage})`);
  return verdict('advance', `healthy for ${formatDuration(plan.dwell_seconds)} at ${flags.rollout_percent} %: moving to ${nextStage} %`, {
    next_percent: nextStage,
  });
}

/** One guard evaluation as the cron, the ops route and `npm run flags -- guard` report it. */
export interface GuardRun extends GuardVerdict {
  dry_run: boolean;
  acted: boolean;
  window: { since: string; until: string };
}

// --- The report ----------------------------------------------------------------------------------

/** What `report --json` prints (and the ops route answers). */
export interface RolloutReport {
  since: string;
  until: string;
  variants: RolloutStats;
  guard: { decision: GuardDecision; reason: string };
  /** Per time step, for the HTML chart. */
  series: SeriesPoint[];
}

export interface SeriesPoint {
  t: string;
  chatkit: { turns: number; error_rate: number; ttft_p95_ms: number | null };
  legacy: { turns: number; error_rate: number; ttft_p95_ms: number | null };
}

/** Groups counters into `stepMs` steps and reports each step's per-variant numbers. */
export function rolloutSeries(rows: readonly SignalCounter[], sinceMs: number, untilMs: number, stepMs: number): SeriesPoint[] {
  const steps = new Map<number, SignalCounter[]>();
  for (let t = sinceMs - (sinceMs % stepMs); t <= untilMs; t += stepMs) steps.set(t, []);
  for (const row of rows) {
    const t = row.minute - (row.minute % stepMs);
    steps.get(t)?.push(row);
  }
  return [...steps.entries()].map(([t, stepRows]) => {
    const stats = rolloutStats(stepRows);
    const point = (r: VariantReport) => ({ turns: r.turns, error_rate: r.error_rate, ttft_p95_ms: r.ttft_p95_ms });
    return { t: new Date(t).toISOString(), chatkit: point(stats.chatkit), legacy: point(stats.legacy) };
  });
}

/** A step that gives a chart of at most ~60 points. */
export function seriesStepMs(spanMs: number): number {
  const minutes = Math.max(1, Math.ceil(spanMs / 60_000 / 60));
  return minutes * 60_000;
}
