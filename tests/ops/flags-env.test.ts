import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WranglerKv } from '../../scripts/flags/wrangler-kv';

/**
 * `npm run flags -- … --env staging|production` against wrangler's real local KV: each
 * environment in wrangler.toml has its own FLAGS namespace, so a flip in one leaves the others
 * alone (README "Deploy").
 */
const persistTo = mkdtempSync(join(tmpdir(), 'calm-orbit-flags-env-'));
const root = process.cwd();
const kvOf = (env?: string) => new WranglerKv({ location: 'local', env, persistTo, cwd: root });
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

function flags(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/flags.ts', ...args, '--persist-to', persistTo], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run flags with wrangler environments (local KV)', () => {
  it('writes rollback to the named environment only', async () => {
    const staging = await flags('rollback', 'on', '--env', 'staging');
    expect(staging.code).toBe(0);
    expect(staging.stdout).toContain('rollback: (not set) → true  [local, env staging]');
    expect(await kvOf('staging').get('rollback')).toBe('true');
    expect(await kvOf('production').get('rollback')).toBeNull();
    expect(await kvOf().get('rollback')).toBeNull();
  });

  it('moves the production rollout without touching staging', async () => {
    const production = await flags('rollout', '10', '--env', 'production');
    expect(production.code).toBe(0);
    expect(production.stdout).toContain('chatkit.rollout_percent: 0 → 10');
    expect(production.stdout).toContain('[local, env production]');
    expect(JSON.parse((await kvOf('production').get('flags'))!)).toMatchObject({ chatkit: { rollout_percent: 10 } });
    expect(await kvOf('staging').get('flags')).toBeNull();
  });
});
