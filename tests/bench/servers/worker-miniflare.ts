/**
 * A reference row: the exact bundle `wrangler deploy` would upload (`wrangler deploy --dry-run
 * --outdir`: minified ESM `index.js` + source map) run by the `Miniflare` class. Miniflare puts its
 * entry worker in front (it copies every request, rewrites its headers and hands it on through a
 * service binding), which production does not have; the primary row is the same bundle in plain
 * workerd (lib/workerd.ts). No wrangler dev proxy worker, no inspector, no DevTools log relay.
 * `miniflare` is the project's own devDependency, the same copy wrangler loads, so this row runs
 * on the workerd build `wrangler dev`, the tests and production's wrangler use
 * (scripts/toolchain.ts). KV and the Durable Object are in memory (nothing persisted). Static
 * assets are not bound: the bench only hits API routes (ASSETS serves the SPA route only).
 *
 * Vars: what `wrangler dev` would bind (wrangler.toml [vars], then .dev.vars, via wrangler's own
 * readConfig/getVarsForDev) overridden by BENCH_WORKER_VARS, the same overrides the other worker
 * targets get. KV `flags` is seeded with BENCH_FLAGS_JSON before "ready" is printed.
 *
 * Run as its own process: BENCH_ROOT, BENCH_BUNDLE (path of index.js), BENCH_WORKER_PORT,
 * BENCH_WORKER_VARS (JSON), BENCH_FLAGS_KEY, BENCH_FLAGS_JSON. SIGTERM/SIGINT dispose Miniflare
 * (which stops workerd) before exiting.
 */
import { dirname, join } from 'node:path';
import { convertV4MiniflareOptions, type Json, Miniflare } from 'miniflare';
import { unstable_getVarsForDev, unstable_readConfig } from 'wrangler';
import { readToolchain } from '../../../scripts/toolchain';

const root = process.env.BENCH_ROOT!;
const configPath = join(root, 'wrangler.toml');
const { miniflare: miniflareVersion, workerd: workerdVersion } = readToolchain(root);

const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
const devVars = unstable_getVarsForDev(configPath, undefined, config.vars, undefined, true);
const bindings: Record<string, Json> = {};
for (const [name, binding] of Object.entries(devVars) as [string, { type: string; value: Json }][]) bindings[name] = binding.value;
Object.assign(bindings, JSON.parse(process.env.BENCH_WORKER_VARS ?? '{}') as Record<string, string>);

// Access-log lines (console.log → workerd's structured log) are drained here, in this process, as
// production ships them off the request path; forwarding them would bill the harness (the load
// generator). Warnings and errors are passed on.
let logLines = 0;
let errorTail = '';

// Miniflare 5 takes per-worker `config` objects; wrangler itself builds them from these flat
// (Miniflare 4 style) options with convertV4MiniflareOptions, and so does this file.
const mf = new Miniflare(
  convertV4MiniflareOptions({
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
    handleStructuredLogs({ level, message }) {
      if (level !== 'error' && level !== 'warn') {
        logLines += 1;
        return;
      }
      errorTail = `${errorTail}${message}\n`.slice(-8_000);
      process.stderr.write(`${message}\n`);
    },
  }),
);

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
  console.log(`worker (Miniflare ${miniflareVersion}, workerd ${workerdVersion}, ${process.env.BENCH_BUNDLE}) ready on ${url.href}`);
  setInterval(() => undefined, 60_000); // keep the process alive; Miniflare's server is in workerd
  process.on('exit', () => console.log(`[miniflare] ${logLines} log lines drained${errorTail ? '' : ', no warnings or errors'}`));
} catch (err) {
  console.error('Miniflare failed to start:', err);
  stop(1);
}
