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
