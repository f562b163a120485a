import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The builds this checkout runs on: Node, wrangler, Miniflare and workerd, each found the way the
 * tool that loads it finds it. `npm test` prints it first (tests/setup/global-runtime.ts), the
 * bench writes it into its JSON (tests/bench/run.ts) and `.ci/run` prints it after `npm ci`.
 *
 * `readToolchain` throws when the tests (the vitest integration), `wrangler dev` / `wrangler
 * deploy` and the bench's Miniflare would not load one and the same workerd: a test must run on
 * the runtime the project ships (README "Tests").
 */
export interface Toolchain {
  node: string;
  wrangler: string;
  miniflare: string;
  workerd: string;
}

/**
 * The folder of `name` as Node would resolve it from `fromDir` (package.json read directly:
 * not every package exports its package.json).
 */
function packageDir(name: string, fromDir: string): string {
  const lookups = createRequire(join(fromDir, 'package.json')).resolve.paths(name) ?? [];
  for (const nodeModules of lookups) {
    const candidate = join(nodeModules, name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
  }
  throw new Error(`${name} is not installed (looked from ${fromDir}); run npm ci`);
}

function versionAt(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function readToolchain(root: string): Toolchain {
  const wrangler = packageDir('wrangler', root);
  const miniflare = packageDir('miniflare', root);
  const vitestPlugin = packageDir('@cloudflare/vitest-plugin', root);
  const workerdOf: Record<string, string> = {
    'wrangler (dev, deploy)': packageDir('workerd', wrangler),
    "wrangler's miniflare": packageDir('workerd', packageDir('miniflare', wrangler)),
    'miniflare (bench)': packageDir('workerd', miniflare),
    'vitest integration': packageDir('workerd', packageDir('miniflare', vitestPlugin)),
  };
  const builds = new Set(Object.values(workerdOf));
  if (builds.size > 1) {
    const lines = Object.entries(workerdOf).map(([user, dir]) => `  ${user}: workerd ${versionAt(dir)} (${dir})`);
    throw new Error(`more than one workerd build installed; npm ls wrangler miniflare workerd shows where:\n${lines.join('\n')}`);
  }
  return {
    node: process.version,
    wrangler: versionAt(wrangler),
    miniflare: versionAt(miniflare),
    workerd: versionAt([...builds][0]!),
  };
}

export function describeToolchain(toolchain: Toolchain): string {
  return `runtime: node ${toolchain.node}, workerd ${toolchain.workerd} (one build for tests, wrangler dev, deploy and bench), wrangler ${toolchain.wrangler}, miniflare ${toolchain.miniflare}`;
}

// `tsx scripts/toolchain.ts` (.ci/run) prints the line for this checkout.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(describeToolchain(readToolchain(fileURLToPath(new URL('..', import.meta.url)))));
}
