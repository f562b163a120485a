/**
 * Diagnostic peer (and the second home of the micro-benchmarks): the same worker, config and build through wrangler's programmatic dev server
 * (`unstable_startWorker`, what `wrangler dev` runs) with the inspector turned off, so console
 * output is not relayed over the DevTools protocol (workerd → wrangler's inspector proxy worker →
 * wrangler's Node process) on every request. Everything else (proxy worker in front, local KV,
 * Durable Objects, assets) is as under `wrangler dev`.
 *
 * Run as its own process: BENCH_ROOT, BENCH_CONFIG (default: the project's wrangler.toml), BENCH_WORKER_PORT, BENCH_PERSIST_TO, BENCH_WORKER_VARS (JSON),
 * BENCH_ASSETS (optional assets folder when dist/web has not been built).
 */
import { join } from 'node:path';
import { unstable_startWorker } from 'wrangler';

const root = process.env.BENCH_ROOT!;
const vars = JSON.parse(process.env.BENCH_WORKER_VARS ?? '{}') as Record<string, string>;
const worker = await unstable_startWorker({
  config: process.env.BENCH_CONFIG || join(root, 'wrangler.toml'),
  ...(process.env.BENCH_ASSETS ? { assets: process.env.BENCH_ASSETS } : {}),
  bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text' as const, value }])),
  dev: {
    inspector: false,
    remote: false,
    watch: false,
    liveReload: false,
    logLevel: 'warn',
    persist: process.env.BENCH_PERSIST_TO!,
    server: { hostname: '127.0.0.1', port: Number(process.env.BENCH_WORKER_PORT) },
  },
});
await worker.ready;
console.log(`worker (inspector off) on ${String(await worker.url)}`);
const stop = async () => {
  await worker.dispose().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
