import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decideGuard, rolloutSeries, rolloutStats, type GuardRun, type RolloutReport } from '../../shared/rollout';
import { latencyBucket, type SignalCounter } from '../../shared/signals';
import { UsageError } from '../../scripts/flags/flag-edits';
import { DEV_OPS_FILE, resolveOpsTarget } from '../../scripts/flags/ops-client';
import { guardText, reportHtml, reportJson, reportText } from '../../scripts/flags/report-format';

/** What `report` and `guard` print (scripts/flags/report-format.ts) and how they find the worker. */

const T0 = Date.parse('2026-11-30T12:00:00Z');
const rows: SignalCounter[] = [
  { minute: T0, variant: 'chatkit', kind: 'outcome', label: 'turn:ok', count: 40 },
  { minute: T0 + 60_000, variant: 'chatkit', kind: 'outcome', label: 'turn:upstream_error', count: 10 },
  { minute: T0, variant: 'legacy', kind: 'outcome', label: 'turn:ok', count: 50 },
  { minute: T0, variant: 'chatkit', kind: 'ttft', label: String(latencyBucket(180)), count: 50 },
  { minute: T0, variant: 'legacy', kind: 'ttft', label: String(latencyBucket(90)), count: 50 },
  { minute: T0, variant: 'legacy', kind: 'feedback', label: 'up', count: 3 },
  { minute: T0, variant: 'chatkit', kind: 'browser', label: 'fallback:chatkit_script_failed', count: 2 },
  { minute: T0, variant: 'chatkit', kind: 'browser', label: 'ready', count: 20 },
];
const report: RolloutReport = {
  since: new Date(T0).toISOString(),
  until: new Date(T0 + 120_000).toISOString(),
  variants: rolloutStats(rows),
  guard: { decision: 'hold', reason: 'too few turns to judge' },
  series: rolloutSeries(rows, T0, T0 + 60_000, 60_000),
};

describe('report output', () => {
  it('--json is one object with the issue’s fields per variant and the guard’s verdict', () => {
    const json = reportJson(report) as { since: string; variants: Record<string, Record<string, unknown>>; guard: unknown };
    expect(json.since).toBe(report.since);
    expect(json.variants.chatkit).toMatchObject({
      turns: 50,
      errors: 10,
      error_rate: 0.2,
      ttft_p50_ms: 200,
      ttft_p95_ms: 200,
      feedback_up: 0,
      feedback_down: 0,
      fallbacks: 2,
    });
    expect(json.variants.legacy).toMatchObject({ turns: 50, errors: 0, error_rate: 0, ttft_p50_ms: 100, feedback_up: 3 });
    for (const variant of ['chatkit', 'legacy']) {
      for (const field of ['turns', 'errors', 'error_rate', 'ttft_p50_ms', 'ttft_p95_ms', 'feedback_up', 'feedback_down', 'fallbacks'])
        expect(json.variants[variant]).toHaveProperty(field);
    }
    expect(json.guard).toEqual({ decision: 'hold', reason: 'too few turns to judge' });
  });

  it('text: one row per measure, both variants side by side, the verdict last', () => {
    const text = reportText(report, 'local').join('\n');
    expect(text).toMatch(/errors\s+10 = 20.0 % \(95 %: 11\.\d %–33\.\d %\)\s+0 = 0.0 %/);
    expect(text).toMatch(/first token p95\s+≤ 200 ms\s+≤ 100 ms/);
    expect(text).toContain('2 of 20 page loads (10.0 %)');
    expect(text.split('\n').at(-1)).toBe('guard: HOLD: too few turns to judge');
  });

  it('html: a self-contained page with two inline SVG charts and escaped text', () => {
    const html = reportHtml({ ...report, guard: { decision: 'rollback', reason: '<script>alert(1)</script> & more' } }, 'remote');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; more');
    // One point per step for each variant in the error-rate chart (the legacy line has a turn in step one only).
    expect(html.match(/<circle /g)!.length).toBeGreaterThanOrEqual(3);
  });

  it('guard text names the decision, the numbers, and what a dry run would do', () => {
    const verdict = decideGuard({
      plan: { stages: [10, 50, 100], min_turns: 20, max_error_delta: 2, max_ttft_ratio: 1.5, max_fallback_rate: 50, dwell_seconds: 0, auto_advance: false },
      stats: report.variants,
      state: { stage_percent: 10, stage_entered_at: report.since },
      flags: { rollback: false, rollout_percent: 10 },
      now: T0 + 120_000,
    });
    const run: GuardRun = { ...verdict, dry_run: true, acted: false, window: { since: report.since, until: report.until } };
    const text = guardText(run, 'local').join('\n');
    expect(text).toContain('guard: ROLLBACK (dry run: nothing written)');
    expect(text).toContain('chatkit: 50 turns, 10 errors');
    expect(text).toContain('(would set rollback = true)');
  });
});

describe('finding the worker for guard and report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'calm-orbit-ops-'));
  const saved = { OPS_TOKEN: process.env.OPS_TOKEN, OPS_URL: process.env.OPS_URL };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--local reads the URL and token npm run dev wrote; OPS_TOKEN and --url override them', () => {
    delete process.env.OPS_TOKEN;
    writeFileSync(join(dir, DEV_OPS_FILE), JSON.stringify({ url: 'http://127.0.0.1:9999/', token: 'dev-token' }));
    expect(resolveOpsTarget({ location: 'local', root: '/nowhere', persistTo: dir })).toEqual({ url: 'http://127.0.0.1:9999', token: 'dev-token' });
    process.env.OPS_TOKEN = 'env-token';
    expect(resolveOpsTarget({ location: 'local', root: '/nowhere', persistTo: dir, url: 'http://127.0.0.1:1234' })).toEqual({
      url: 'http://127.0.0.1:1234',
      token: 'env-token',
    });
  });

  it('--remote needs OPS_URL (or --url) and OPS_TOKEN, and never reads the dev file', () => {
    delete process.env.OPS_TOKEN;
    delete process.env.OPS_URL;
    expect(() => resolveOpsTarget({ location: 'remote', root: '/nowhere', persistTo: dir })).toThrow(UsageError);
    process.env.OPS_URL = 'https://edge.example.com';
    expect(() => resolveOpsTarget({ location: 'remote', root: '/nowhere', persistTo: dir })).toThrow(/OPS_TOKEN/);
    process.env.OPS_TOKEN = 'prod-token';
    expect(resolveOpsTarget({ location: 'remote', root: '/nowhere', persistTo: dir })).toEqual({ url: 'https://edge.example.com', token: 'prod-token' });
  });
});
