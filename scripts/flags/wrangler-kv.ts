import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Workers KV through the operator's own `wrangler` (their login, their `wrangler.toml`
 * environments), so the ops command needs no API token of its own.
 */
export interface KvTarget {
  location: 'local' | 'remote';
  env?: string;
  persistTo?: string;
  /** Folder holding wrangler.toml (the project root). */
  cwd: string;
}

const BINDING = 'FLAGS';

function wranglerBin(cwd: string): string {
  const local = join(cwd, 'node_modules', '.bin', 'wrangler');
  return existsSync(local) ? local : 'wrangler';
}

function targetArgs(target: KvTarget): string[] {
  const args = ['--binding', BINDING, target.location === 'local' ? '--local' : '--remote'];
  if (target.env) args.push('--env', target.env);
  if (target.persistTo) args.push('--persist-to', target.persistTo);
  return args;
}

function run(target: KvTarget, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      wranglerBin(target.cwd),
      args,
      { cwd: target.cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(stderr || stdout || error.message).trim()}`));
        else resolve(stdout);
      },
    );
  });
}

export class WranglerKv {
  constructor(private readonly target: KvTarget) {}

  /** Raw text of each key (null when missing), in one wrangler call. */
  async getMany(keys: readonly string[]): Promise<Record<string, string | null>> {
    // `kv key get` prints "Value not found" for a missing key (indistinguishable from that text)
    // and costs one wrangler start per key; `kv bulk get` answers JSON with null for missing.
    const dir = mkdtempSync(join(tmpdir(), 'calm-orbit-kv-'));
    try {
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify(keys));
      const stdout = await run(this.target, ['kv', 'bulk', 'get', file, ...targetArgs(this.target)]);
      const json = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as Record<string, { value: string | null }>;
      return Object.fromEntries(keys.map((key) => [key, json[key]?.value ?? null]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async get(key: string): Promise<string | null> {
    return (await this.getMany([key]))[key] ?? null;
  }

  async put(key: string, value: string): Promise<void> {
    await this.putMany({ [key]: value });
  }

  /**
   * Writes several keys in one wrangler call (`kv bulk put` reads them from a file, so values of
   * any length fit; one argv string is capped at 128 KiB).
   */
  async putMany(values: Record<string, string>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'calm-orbit-kv-'));
    try {
      const file = join(dir, 'entries.json');
      writeFileSync(file, JSON.stringify(Object.entries(values).map(([key, value]) => ({ key, value }))));
      await run(this.target, ['kv', 'bulk', 'put', file, ...targetArgs(this.target)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
