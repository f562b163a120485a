import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, parseFlagsDocument } from '../../shared/flags';
import { applyFlagEdit, describeFlagChanges, parseRolloutPercent, UsageError } from '../../scripts/flags/flag-edits';
import { WranglerKv } from '../../scripts/flags/wrangler-kv';

/** The ops command end to end against wrangler's real local KV, in a throwaway folder. */
const persistTo = mkdtempSync(join(tmpdir(), 'calm-orbit-flags-'));
const root = process.cwd();
const kv = new WranglerKv({ location: 'local', persistTo, cwd: root });
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

function flags(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/flags.ts', ...args, '--persist-to', persistTo], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run flags (against local KV)', () => {
  it('refuses rollout 150 and rollout abc with a clear message and writes nothing', async () => {
    for (const bad of ['150', 'abc']) {
      const result = await flags('rollout', bad);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`rollout takes a whole number from 0 to 100 (got "${bad}")`);
    }
    expect(await kv.get('flags')).toBeNull();
  });

  it('moves the rollout 10 → 50, prints exactly what changed, and writes a valid document', async () => {
    expect((await flags('rollout', '10')).stdout).toContain('chatkit.rollout_percent: 0 → 10');
    const result = await flags('rollout', '50');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('chatkit.rollout_percent: 10 → 50');
    const stored = parseFlagsDocument((await kv.get('flags'))!);
    expect(stored.ok && stored.value.chatkit.rollout_percent).toBe(50);
  });

  it('flips rollback on and off', async () => {
    expect((await flags('rollback', 'on')).stdout).toContain('→ true');
    expect(await kv.get('rollback')).toBe('true');
    const status = await flags('status', 'some-user');
    expect(status.stdout).toContain('ROLLBACK ON');
    expect(status.stdout).toContain('some-user: legacy (rollback');
    expect((await flags('rollback', 'off')).stdout).toContain('true → false');
    expect((await flags('rollback', 'maybe')).code).toBe(2);
  });

  it('recovers from a corrupt stored value: status says so, an edit rewrites it validly', async () => {
    await kv.put('flags', '{"chatkit": {"rollout_percent": "lots"}');
    const status = await flags('status');
    expect(status.stdout).toContain('INVALID');
    const edit = await flags('allow', 'vip-user');
    expect(edit.code).toBe(0);
    expect(edit.stderr).toContain('invalid');
    const stored = parseFlagsDocument((await kv.get('flags'))!);
    expect(stored.ok && stored.value.chatkit.allow_users).toEqual(['vip-user']);
  });
});

// Each command starts wrangler once or twice; on a busy 2-core machine that is seconds each.
describe('plan, history and the audit trail (against local KV)', { timeout: 240_000 }, () => {
  it('refuses unknown options and options a command does not take, writing nothing', async () => {
    const unknown = await flags('rollout', '10', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
    const misplaced = await flags('rollout', '10', '--json');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('rollout does not take --json');
    const bothPlaces = await flags('status', '--local', '--remote');
    expect(bothPlaces.code).toBe(2);
  });

  it('sets a plan, validated, and shows it', async () => {
    expect((await flags('plan')).stdout).toContain('no rollout plan');
    for (const bad of [
      ['--stages', '50,10'],
      ['--stages', '10,abc'],
      ['--dwell', 'soon'],
      ['--min-turns', '0'],
      ['--max-ttft-ratio', '0.5'],
    ]) {
      const refused = await flags('plan', ...bad);
      expect(refused.code, bad.join(' ')).toBe(2);
    }
    expect(await kv.get('rollout_plan')).toBeNull();
    const set = await flags(
      'plan',
      '--stages',
      '10,50,100',
      '--min-turns',
      '200',
      '--max-error-delta',
      '2',
      '--max-ttft-ratio',
      '1.5',
      '--dwell',
      '24h',
      '--auto-advance',
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('stages 10 → 50 → 100 %, dwell 1d per stage, auto-advance on');
    const stored = JSON.parse((await kv.get('rollout_plan'))!) as Record<string, unknown>;
    expect(stored).toMatchObject({
      stages: [10, 50, 100],
      min_turns: 200,
      max_error_delta: 2,
      max_ttft_ratio: 1.5,
      max_fallback_rate: 5,
      dwell_seconds: 86_400,
      auto_advance: true,
    });
    expect((await flags('plan')).stdout).toContain('≥ 200 turns per variant');
  });

  it('records every change with its actor, before and after; history prints them', async () => {
    const actor = 'Ops Person';
    // No git name anywhere (not a checkout, no global or system config), so the name comes from $USER.
    const env = { ...process.env, USER: actor, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          join(root, 'node_modules', '.bin', 'tsx'),
          [join(root, 'scripts/flags.ts'), ...args, '--persist-to', persistTo],
          { cwd: persistTo, env },
          (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
        );
      });
    expect((await flags('rollout', '40')).code).toBe(0);
    expect((await run('rollout', '25')).code).toBe(0);
    expect((await run('deny', 'user-x')).code).toBe(0);
    expect((await run('rollback', 'on')).code).toBe(0);
    const trail = JSON.parse((await kv.get('audit_log'))!) as Array<Record<string, unknown>>;
    expect(trail.slice(-3)).toMatchObject([
      { action: 'rollout 25', before: { rollout_percent: 40 }, after: { rollout_percent: 25 } },
      { action: 'deny user-x', after: { deny_users: ['user-x'] } },
      { action: 'rollback on', before: { rollback: false }, after: { rollback: true } },
    ]);
    expect(trail.slice(-3).map((entry) => entry.actor)).toEqual([actor, actor, actor]);
    // Run from the checkout, the name is git's user.name (or $USER when git has none).
    const gitName = await new Promise<string>((resolve) => execFile('git', ['config', 'user.name'], { cwd: root }, (_error, stdout) => resolve(stdout.trim())));
    expect(trail.at(-4)).toMatchObject({ action: 'rollout 40', actor: gitName || process.env.USER });
    expect(trail.at(-1)!.time).toMatch(/^\d{4}-\d\d-\d\dT/);

    const history = await flags('history', '--limit', '2');
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('deny user-x');
    expect(history.stdout).toContain('rollback on');
    expect(history.stdout).not.toContain('rollout 25');
    const json = JSON.parse((await flags('history', '--json')).stdout) as Array<Record<string, unknown>>;
    expect(json.at(-1)).toMatchObject({ actor, action: 'rollback on' });
  });

  it('keeps the trail bounded at the newest 500 entries', async () => {
    const old = Array.from({ length: 500 }, (_, i) => ({
      time: new Date(i * 1000).toISOString(),
      actor: 'old',
      action: `old ${i}`,
      before: null,
      after: null,
    }));
    await kv.put('audit_log', JSON.stringify(old));
    expect((await flags('rollback', 'off')).code).toBe(0);
    const trail = JSON.parse((await kv.get('audit_log'))!) as Array<Record<string, unknown>>;
    expect(trail).toHaveLength(500);
    expect(trail[0]!.action).toBe('old 1');
    expect(trail.at(-1)!.action).toBe('rollback off');
  });

  it('guard and report say how to reach a worker when none is running', async () => {
    const result = await flags('guard');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dev-ops.json');
    const remote = await flags('report', '--remote');
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('OPS_URL');
  });
});

describe('flag edits (pure)', () => {
  it('keeps allow and deny exclusive and unknown fields intact', () => {
    const start = { ...DEFAULT_FLAGS, future_flag: { on: true }, chatkit: { ...DEFAULT_FLAGS.chatkit, allow_users: ['a'] } };
    const denied = applyFlagEdit(start, { kind: 'deny', userId: 'a' });
    expect(denied.chatkit.allow_users).toEqual([]);
    expect(denied.chatkit.deny_users).toEqual(['a']);
    expect((denied as Record<string, unknown>).future_flag).toEqual({ on: true });
    expect(describeFlagChanges(start, denied)).toEqual(['chatkit.allow_users: - a', 'chatkit.deny_users: + a']);
    expect(applyFlagEdit(denied, { kind: 'unlist', userId: 'a' }).chatkit.deny_users).toEqual([]);
  });

  it.each(['-1', '101', '1.5', '', ' ', '0x10', '1e2'])('rejects rollout %j', (text) => {
    expect(() => parseRolloutPercent(text)).toThrow(UsageError);
  });
});
