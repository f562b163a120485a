import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeToolchain, readToolchain } from '../../scripts/toolchain';

/** scripts/toolchain.ts against node_modules trees laid out the way npm lays them out. */
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function tree(packages: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'calm-orbit-toolchain-'));
  roots.push(root);
  writeFileSync(join(root, 'package.json'), '{"name":"fixture"}');
  for (const [path, version] of Object.entries(packages)) {
    mkdirSync(join(root, path), { recursive: true });
    writeFileSync(join(root, path, 'package.json'), JSON.stringify({ name: path.split('node_modules/').at(-1), version }));
  }
  return root;
}

describe('readToolchain', () => {
  it('names the one workerd that wrangler, Miniflare and the vitest integration share', () => {
    const root = tree({
      'node_modules/wrangler': '4.164.0',
      'node_modules/miniflare': '5.20261117.0-beta',
      'node_modules/workerd': '1.20261117.1',
      'node_modules/@cloudflare/vitest-plugin': '1.5.0',
    });
    const toolchain = readToolchain(root);
    expect(toolchain).toEqual({ node: process.version, wrangler: '4.164.0', miniflare: '5.20261117.0-beta', workerd: '1.20261117.1' });
    expect(describeToolchain(toolchain)).toContain('workerd 1.20261117.1');
  });

  it('refuses a vitest integration with its own nested Miniflare and workerd', () => {
    const root = tree({
      'node_modules/wrangler': '4.164.0',
      'node_modules/miniflare': '5.20261117.0-beta',
      'node_modules/workerd': '1.20261117.1',
      'node_modules/@cloudflare/vitest-plugin': '1.5.0',
      'node_modules/@cloudflare/vitest-plugin/node_modules/miniflare': '5.20261102.0-beta',
      'node_modules/@cloudflare/vitest-plugin/node_modules/workerd': '1.20261102.1',
    });
    expect(() => readToolchain(root)).toThrow(/more than one workerd build[\s\S]*vitest integration: workerd 1\.20261102\.1/);
  });

  it('refuses a second copy of workerd nested under wrangler, even of the same version', () => {
    const root = tree({
      'node_modules/wrangler': '4.164.0',
      'node_modules/wrangler/node_modules/workerd': '1.20261117.1',
      'node_modules/miniflare': '5.20261117.0-beta',
      'node_modules/workerd': '1.20261117.1',
      'node_modules/@cloudflare/vitest-plugin': '1.5.0',
    });
    expect(() => readToolchain(root)).toThrow(/more than one workerd build/);
  });
});
