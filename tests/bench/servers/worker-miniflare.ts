/**
 * A reference row: the exact bundle `wrangler deploy` would upload (`wrangler deploy --dry-run
 * --outdir`: minified ESM `index.js` + source map) run by the `Miniflare` class. Miniflare puts its
 * entry worker in front (it copies every request, rewrites its headers and hands it on through a
 * service binding), which production does not have; the primary row is the same bundle in plain
 * workerd (lib/workerd.ts). No wrangler dev proxy worker, no inspector, no DevTools log relay.
 * Miniflare is the copy wrangler itself depends on
 * (node_modules/wrangler/node_modules/miniflare when nested), so the workerd binary is the same
 * one the wrangler dev rows run on. KV and the Durable Object are in memory (nothing persisted).
 * Static assets are not bound: the bench only hits API routes (ASSETS serves the SPA route only).
 *
 * Vars: what `wrangler dev` would bind (wrangler.toml [vars], then .dev.vars, via wrangler's own
 * readConfig/getVarsForDev) overridden by BENCH_WORKER_VARS, the same overrides the other worker
 * targets get. KV `flags` is seeded with BENCH_FLAGS_JSON before "ready" is printed.
 *
 * Run as its own process: BENCH_ROOT, BENCH_BUNDLE (path of index.js), BENCH_WORKER_PORT,
 * BENCH_WORKER_VARS (JSON), BENCH_FLAGS_KEY, BENCH_FLAGS_JSON. SIGTERM/SIGINT dispose Miniflare
 * (which stops workerd) before exiting.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { unstable_getVarsForDev, unstable_readConfig } from 'wrangler';

const root = process.env.BENCH_ROOT!;
const configPath = join(root, 'wrangler.toml');

// The miniflare wrangler resolves (nested under wrangler when its version differs from the top level one).
const fromWrangler = createRequire(createRequire(join(root, 'package.json')).resolve('wrangler/package.json'));
const miniflarePath = fromWrangler.resolve('miniflare');
const miniflareVersion = (JSON.parse(readFileSync(fromWrangler.resolve('miniflare/package.json'), 'utf8')) as { version: string }).version;
/**
 * The slice of Miniflare 4's API used here (option names checked against its dist/src/index.d.ts).
 * Typed locally: the top-level `miniflare` package may be a different major (Miniflare 5 via
 * @cloudflare/vitest-pool-workers) whose constructor takes other options.
 */
interface MiniflareLike {
  ready: Promise<URL>;
  dispose(): Promise<void>;
  getKVNamespace(name: string): Promise<{ put(key: string, value: string): Promise<void> }>;
}
type MiniflareOptions = Record<string, unknown> & { handleRuntimeStdio?: (stdout: Readable, stderr: Readable) => void };
const { Miniflare } = (await import(pathToFileURL(miniflarePath).href)) as { Miniflare: new (options: MiniflareOptions) => MiniflareLike };

const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
const devVars = unstable_getVarsForDev(configPath, undefined, config.vars, undefined, true);
const bindings: Record<string, unknown> = {};
for (const [name, binding] of Object.entries(devVars) as [string, { type: string; value: unknown }][]) bindings[name] = binding.value;
Object.assign(bindings, JSON.parse(process.env.BENCH_WORKER_VARS ?? '{}') as Record<string, string>);

// Access-log lines (console.log → workerd stdout) are drained here, in this process, as production
// ships them off the request path; forwarding them would bill the harness (the load generator).
let stdoutLines = 0;
let stderrTail = '';

const mf = new Miniflare({
  modules: true,
  scriptPath: process.env.BENCH_BUNDLE!,
  // Module names are relative to this; the default (cwd) would put the bundle at "../../tmp/…".
  modulesRoot: dirname(process.env.BENCH_BUNDLE!),
  compatibilityDate: config.compatibility_date ?? '2026-04-01',
  compatibilityFlags: config.compatibility_flags ?? ['enable_request_signal'],
  kvNamespaces: ['FLAGS'],
  durableObjects: { RATE_LIMITER: { className: 'RateLimiterObject', useSQLite: true } },
  bindings,
  host: '127.0.0.1',
  port: Number(process.env.BENCH_WORKER_PORT),
  handleRuntimeStdio(stdout, stderr) {
    stdout.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) stdoutLines += 1;
    });
    stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-8_000);
      process.stderr.write(chunk);
    });
  },
});

let disposing: Promise<void> | null = null;
const stop = (code: number) => {
  disposing ??= mf.dispose().catch(() => undefined);
  void disposing.then(() => process.exit(code));
};
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.on('SIGHUP', () => stop(0));

try {
  const url = await mf.ready;
  if (process.env.BENCH_FLAGS_KEY && process.env.BENCH_FLAGS_JSON) {
    const kv = await mf.getKVNamespace('FLAGS');
    await kv.put(process.env.BENCH_FLAGS_KEY, process.env.BENCH_FLAGS_JSON);
  }
  console.log(`worker (Miniflare ${miniflareVersion}, ${process.env.BENCH_BUNDLE}) ready on ${url.href}`);
  setInterval(() => undefined, 60_000); // keep the process alive; Miniflare's server is in workerd
  process.on('exit', () => console.log(`[miniflare] ${stdoutLines} stdout lines drained${stderrTail ? '' : ', stderr empty'}`));
} catch (err) {
  console.error('Miniflare failed to start:', err);
  stop(1);
}
