import { describe, expect, it } from 'vitest';
import {
  appendAudit,
  AUDIT_LIMIT,
  currentGuardState,
  decideGuard,
  histogramQuantile,
  newcombeDifference,
  parseDuration,
  rolloutSeries,
  rolloutStats,
  wilsonInterval,
  type AuditEntry,
  type GuardInputs,
  type RolloutPlan,
} from '../../shared/rollout';
import { latencyBucket, type Outcome, type SignalCounter, type SignalVariant } from '../../shared/signals';

/** The report's maths and the guard's decision, as pure functions over counters (shared/rollout.ts). */

const T0 = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;

function turns(variant: SignalVariant, outcome: Outcome, count: number, minute = T0): SignalCounter {
  return { minute, variant, kind: 'outcome', label: `turn:${outcome}`, count };
}
function ttft(variant: SignalVariant, ms: number, count: number): SignalCounter {
  return { minute: T0, variant, kind: 'ttft', label: String(latencyBucket(ms)), count };
}
function browser(variant: SignalVariant, label: string, count: number): SignalCounter {
  return { minute: T0, variant, kind: 'browser', label, count };
}

const plan: RolloutPlan = {
  stages: [10, 50, 100],
  min_turns: 200,
  max_error_delta: 2,
  max_ttft_ratio: 1.5,
  max_fallback_rate: 5,
  dwell_seconds: 24 * 3600,
  auto_advance: true,
};

function inputs(rows: SignalCounter[], overrides: Partial<GuardInputs> = {}): GuardInputs {
  return {
    plan,
    stats: rolloutStats(rows),
    state: { stage_percent: 10, stage_entered_at: new Date(T0 - 25 * HOUR).toISOString() },
    flags: { rollback: false, rollout_percent: 10 },
    now: T0,
    ...overrides,
  };
}

describe('Wilson and Newcombe intervals', () => {
  it.each([
    [0, 10, 0, 0.2775],
    [5, 10, 0.2366, 0.7634],
    [10, 10, 0.7225, 1],
    [1, 1000, 0.0002, 0.0056],
  ])('%i of %i → [%f, %f]', (errors, n, low, high) => {
    const interval = wilsonInterval(errors, n);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it('no trials means no knowledge: [0, 1]', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it("matches Newcombe's worked example (56/70 − 48/80 → 0.0524…0.3339)", () => {
    const d = newcombeDifference(56, 70, 48, 80);
    expect(d.difference).toBeCloseTo(0.2, 6);
    expect(d.low).toBeCloseTo(0.0524, 4);
    expect(d.high).toBeCloseTo(0.3339, 4);
  });
});

describe('report maths', () => {
  it('counts turns and errors per variant; aborted, 4xx and 429 are not judged', () => {
    const stats = rolloutStats([
      turns('chatkit', 'ok', 90),
      turns('chatkit', 'upstream_error', 4),
      turns('chatkit', 'timeout', 3),
      turns('chatkit', 'stream_error', 3),
      turns('chatkit', 'aborted', 7),
      turns('chatkit', 'client_error', 5),
      turns('chatkit', 'rate_limited', 2),
      turns('legacy', 'ok', 50),
      { minute: T0, variant: 'legacy', kind: 'outcome', label: 'history:upstream_error', count: 2 },
      { minute: T0, variant: 'chatkit', kind: 'feedback', label: 'up', count: 3 },
      { minute: T0, variant: 'chatkit', kind: 'feedback', label: 'down', count: 1 },
      browser('chatkit', 'ready', 40),
      browser('chatkit', 'fallback:script_failed', 2),
    ]);
    expect(stats.chatkit).toMatchObject({
      turns: 100,
      errors: 10,
      error_rate: 0.1,
      feedback_up: 3,
      feedback_down: 1,
      fallbacks: 2,
      page_loads: 40,
      fallback_rate: 0.05,
    });
    expect(stats.chatkit.fallback_reasons).toEqual({ script_failed: 2 });
    expect(stats.chatkit.outcomes.aborted).toBe(7);
    expect(stats.legacy).toMatchObject({ turns: 50, errors: 0, other_calls: 2, other_errors: 2 });
    expect(stats.chatkit.error_rate_low).toBeCloseTo(wilsonInterval(10, 100).low, 10);
  });

  it('p50/p95 come from bucket counts (the upper bound of the bucket holding the quantile)', () => {
    expect(histogramQuantile({}, 0.5)).toBeNull();
    const buckets = { [latencyBucket(80)]: 50, [latencyBucket(180)]: 45, [latencyBucket(2500)]: 5 };
    expect(histogramQuantile(buckets, 0.5)).toBe(100);
    expect(histogramQuantile(buckets, 0.95)).toBe(200);
    expect(histogramQuantile(buckets, 0.96)).toBe(3000);
    expect(histogramQuantile({ [latencyBucket(10 ** 9)]: 1 }, 0.5)).toBe(240_000);
  });

  it('splits counters into time steps for the chart', () => {
    const series = rolloutSeries(
      [turns('chatkit', 'ok', 3, T0), turns('chatkit', 'upstream_error', 1, T0 + 60_000), turns('legacy', 'ok', 2, T0 + 120_000)],
      T0,
      T0 + 120_000,
      60_000,
    );
    expect(series.map((point) => [point.chatkit.turns, point.chatkit.error_rate, point.legacy.turns])).toEqual([
      [3, 0, 0],
      [1, 1, 0],
      [0, 0, 2],
    ]);
  });

  it.each([
    ['24h', 86_400],
    ['30m', 1800],
    ['90s', 90],
    ['2d', 172_800],
    ['45', 45],
    ['soon', null],
    ['-1h', null],
  ])('reads the duration %j as %j seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('keeps the newest 500 audit entries', () => {
    let log: AuditEntry[] = [];
    for (let i = 0; i < AUDIT_LIMIT + 5; i++) log = appendAudit(log, { time: String(i), actor: 'a', action: 'x', before: i, after: i + 1 });
    expect(log).toHaveLength(AUDIT_LIMIT);
    expect(log[0]!.time).toBe('5');
  });
});

describe('decideGuard', () => {
  const healthy = [turns('chatkit', 'ok', 495), turns('chatkit', 'upstream_error', 5), turns('legacy', 'ok', 495), turns('legacy', 'upstream_error', 5)];

  it.each<[string, SignalCounter[], Partial<GuardInputs>, string, RegExp]>([
    ['no plan', healthy, { plan: null }, 'hold', /no rollout plan/],
    ['rollback already on (never cleared, even when healthy)', healthy, { flags: { rollback: true, rollout_percent: 10 } }, 'hold', /never clears/],
    ['ChatKit at 0 %', healthy, { flags: { rollback: false, rollout_percent: 0 } }, 'hold', /nothing to guard/],
    [
      'too few ChatKit turns, even if all failed',
      [turns('chatkit', 'upstream_error', 199), turns('legacy', 'ok', 500)],
      {},
      'hold',
      /too few turns.*chatkit 199/,
    ],
    ['too few legacy turns', [turns('chatkit', 'ok', 500), turns('legacy', 'ok', 10)], {}, 'hold', /legacy 10/],
    ['healthy, dwell done, auto-advance → next stage', healthy, {}, 'advance', /moving to 50 %/],
    [
      'healthy but inside the dwell time',
      healthy,
      { state: { stage_percent: 10, stage_entered_at: new Date(T0 - 23 * HOUR).toISOString() } },
      'hold',
      /1h of the 1d dwell left/,
    ],
    ['healthy, dwell done, auto-advance off', healthy, { plan: { ...plan, auto_advance: false } }, 'hold', /auto-advance is off.*rollout 50/],
    [
      'healthy at the last stage',
      healthy,
      { flags: { rollback: false, rollout_percent: 100 }, state: { stage_percent: 100, stage_entered_at: new Date(T0 - 99 * HOUR).toISOString() } },
      'hold',
      /the last stage/,
    ],
    // 5 % vs 1 %: 4 points worse, 95 % interval well above 2.
    [
      'ChatKit clearly worse by more than the delta',
      [turns('chatkit', 'ok', 950), turns('chatkit', 'stream_error', 50), turns('legacy', 'ok', 990), turns('legacy', 'timeout', 10)],
      {},
      'rollback',
      /exceeds legacy's 1 % by 4 points/,
    ],
    // 4 % vs 1 % on 200 turns each: 3 points worse, but the interval's lower bound is below 2 → hold.
    [
      'worse by more than the delta but not with 95 % confidence',
      [turns('chatkit', 'ok', 192), turns('chatkit', 'upstream_error', 8), turns('legacy', 'ok', 198), turns('legacy', 'upstream_error', 2)],
      { plan: { ...plan, auto_advance: false } },
      'hold',
      /auto-advance is off/,
    ],
    // Worse, confidently, but by less than the allowed delta (1.5 points on 20,000 turns).
    [
      'confidently worse but within the delta',
      [turns('chatkit', 'ok', 19_500), turns('chatkit', 'upstream_error', 500), turns('legacy', 'ok', 19_800), turns('legacy', 'upstream_error', 200)],
      {},
      'advance',
      /moving to 50/,
    ],
    ['p95 TTFT over the ratio', [...healthy, ttft('chatkit', 1800, 100), ttft('legacy', 900, 100)], {}, 'rollback', /2000 ms is 2× legacy's 1000 ms/],
    ['p95 TTFT within the ratio', [...healthy, ttft('chatkit', 1400, 100), ttft('legacy', 900, 100)], {}, 'advance', /moving/],
    [
      'browser fallbacks over the threshold, whatever the turns',
      [browser('chatkit', 'ready', 30), browser('chatkit', 'fallback:script_failed', 10)],
      {},
      'rollback',
      /fell back .* on 33.33 % of 30 page loads/,
    ],
    [
      'a few fallbacks among few page loads hold',
      [browser('chatkit', 'ready', 10), browser('chatkit', 'fallback:script_failed', 3)],
      {},
      'hold',
      /too few turns/,
    ],
  ])('%s', (_name, rows, overrides, decision, reason) => {
    const verdict = decideGuard(inputs(rows, overrides));
    expect(verdict.decision).toBe(decision);
    expect(verdict.reason).toMatch(reason);
  });

  it('reports the numbers it acted on', () => {
    const verdict = decideGuard(
      inputs([turns('chatkit', 'ok', 950), turns('chatkit', 'stream_error', 50), turns('legacy', 'ok', 990), turns('legacy', 'timeout', 10)]),
    );
    expect(verdict.numbers).toMatchObject({
      rollout_percent: 10,
      chatkit: { turns: 1000, errors: 50 },
      legacy: { turns: 1000, errors: 10 },
      error_delta_pp: 4,
    });
    expect(verdict.numbers.error_delta_low_pp).toBeGreaterThan(2);
  });

  it('an advance names the next stage', () => {
    expect(decideGuard(inputs(healthy)).next_percent).toBe(50);
  });

  it('a new rollout percentage starts a new stage (and a new dwell) now', () => {
    const state = { stage_percent: 10, stage_entered_at: '2026-01-01T00:00:00.000Z' };
    expect(currentGuardState(state, 10, T0)).toBe(state);
    expect(currentGuardState(state, 50, T0)).toEqual({ stage_percent: 50, stage_entered_at: new Date(T0).toISOString() });
    expect(currentGuardState(null, 10, T0).stage_entered_at).toBe(new Date(T0).toISOString());
  });
});
