import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, type RedisInstance } from '../../fakes/redis';
import { startUpstashBridge, type UpstashBridge } from '../../fakes/upstash-rest';
import { getFreePort } from '../../helpers/ports';
import { spawnChild, waitForHttp, type Child } from '../lib/processes';
import { startWranglerDev, type RunningWorker } from '../lib/wrangler-dev';

/**
 * Runs tests/bench/micro/bench-worker.ts (the worker's own modules in timed loops) in workerd,
 * twice: under `wrangler dev --config tests/bench/micro/wrangler.toml` (the setup `npm run dev`
 * uses; the primary numbers) and under wrangler's dev server with the inspector off (no DevTools
 * relay of console output, nearer to production). Same vars as the worker, local KV and Durable
 * Objects. Upstash goes through the test bridge (tests/fakes: a real redis-server behind
 * Upstash's REST protocol) when redis-server exists.
 */

export interface MicroLoop {
  perOpMs: number;
  clockResolutionMs: number;
  samples: { iterations: number; elapsedMs: number; perOpMs: number }[];
  [extra: string]: unknown;
}

export const MICRO_BENCHMARKS = [
  'clock',
  'baseline',
  'jwt',
  'jwtCached',
  'flags',
  'originFetch',
  'slidingWindow',
  'signals',
  'signalsAggregateOnly',
  'rateLimitDo',
  'rateLimitUpstash',
  'chainFlags',
  'chainFlagsNoLog',
  'chainHealthz',
  // Last: under wrangler dev every line also crosses the inspector relay, whose backlog after
  // this loop would otherwise time out the rows after it.
  'logLine',
] as const;
export type MicroName = (typeof MICRO_BENCHMARKS)[number];

export interface MicroSuite {
  clock: { stepMs: number; advancesWithoutIo: boolean; busyLoopMs: number } | null;
  flags: (MicroLoop & { hotKvReads: number; hotKvGets: number; hotIterations: number; warmKvReads: number; softTtlMs: number }) | null;
  loops: Partial<Record<MicroName, MicroLoop>>;
  errors: Partial<Record<MicroName, string>>;
}

export interface MicroResults {
  /** Under `wrangler dev` (inspector on, as `npm run dev`): the numbers the targets are judged on. */
  wranglerDev: MicroSuite;
  /** The same suite with the inspector off (null if that server could not start). */
  inspectorOff: MicroSuite | null;
  startupMs: number;
}

export interface MicroOptions {
  root: string;
  tmp: string;
  vars: Record<string, string>;
  token: string;
  minMs: number;
  samples: number;
  logLevel: 'warn' | 'info' | 'error' | 'none';
  log: (line: string) => void;
}

const REDIS_SERVER = '/usr/bin/redis-server';

/**
 * Loops whose every operation is a console line, which wrangler dev relays over the inspector: with
 * the full time budget that relay backed up past the request's timeout. A shorter budget there
 * (the "inspector off" suite keeps the full one) still gives a steady per-line figure.
 */
const RELAYED_BY_WRANGLER_DEV: ReadonlySet<string> = new Set(['logLine']);
const RELAYED_MAX_MS = 40;

async function originStats(url: string): Promise<{ connections: number; requests: number } | null> {
  try {
    return (await (await fetch(url)).json()) as { connections: number; requests: number };
  } catch {
    return null;
  }
}

async function runSuite(url: string, label: string, options: MicroOptions, bridge: UpstashBridge | null, bridgeError: string | null): Promise<MicroSuite> {
  const suite: MicroSuite = { clock: null, flags: null, loops: {}, errors: {} };
  for (const name of MICRO_BENCHMARKS) {
    if (name === 'rateLimitUpstash' && !bridge) {
      suite.errors[name] = bridgeError ?? 'no Upstash bridge';
      continue;
    }
    const once = async () => {
      const res = await fetch(`${url}/${name}`, {
        method: 'POST',
        body: JSON.stringify({
          token: options.token,
          minMs: label === 'wrangler dev' && RELAYED_BY_WRANGLER_DEV.has(name) ? Math.min(options.minMs, RELAYED_MAX_MS) : options.minMs,
          samples: options.samples,
          ...(name === 'rateLimitUpstash' ? { upstash: { url: bridge!.url, token: bridge!.token } } : {}),
        }),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      let body: { error?: string; perOpMs?: number; [key: string]: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // workerd's own answers, e.g. "Your worker restarted mid-request" after an isolate reset.
        throw new Error(`HTTP ${res.status}: ${text.slice(0, 160)}`);
      }
      if (!res.ok || body.error) throw new Error(body.error ?? `HTTP ${res.status}`);
      return body;
    };
    try {
      const statsUrl = name === 'originFetch' ? `${options.vars.ORIGIN_URL}/__stats` : null;
      const before = statsUrl ? await originStats(statsUrl) : null;
      let body: Awaited<ReturnType<typeof once>>;
      try {
        body = await once();
      } catch (err) {
        options.log(`  ${label.padEnd(13)} ${name.padEnd(16)} retrying once after: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        body = await once();
      }
      const after = statsUrl ? await originStats(statsUrl) : null;
      if (before && after && after.requests > before.requests) {
        body.newOriginConnectionsPerFetch = Math.round(((after.connections - before.connections) / (after.requests - before.requests)) * 1000) / 1000;
      }
      if (name === 'clock') suite.clock = body as unknown as MicroSuite['clock'];
      else suite.loops[name] = body as unknown as MicroLoop;
      if (name === 'flags') suite.flags = body as unknown as MicroSuite['flags'];
      options.log(
        `  ${label.padEnd(13)} ${name.padEnd(16)} ${body.perOpMs === undefined ? JSON.stringify(body) : `${(body.perOpMs * 1000).toFixed(2)} µs/op`}`,
      );
    } catch (err) {
      suite.errors[name] = err instanceof Error ? err.message : String(err);
      options.log(`  ${label.padEnd(13)} ${name.padEnd(16)} FAILED: ${suite.errors[name]}`);
    }
  }
  return suite;
}

export async function runMicro(options: MicroOptions): Promise<MicroResults> {
  const config = join(options.root, 'tests/bench/micro/wrangler.toml');
  const started = Date.now();
  let redis: RedisInstance | null = null;
  let bridge: UpstashBridge | null = null;
  let bridgeError: string | null = null;
  let worker: RunningWorker | null = null;
  let quiet: Child | null = null;
  try {
    const quietPort = await getFreePort();
    quiet = spawnChild(
      'micro worker, inspector off',
      join(options.root, 'node_modules', '.bin', 'tsx'),
      [join(options.root, 'tests/bench/servers/worker-no-inspector.ts')],
      {
        cwd: options.root,
        env: {
          ...process.env,
          BENCH_ROOT: options.root,
          BENCH_CONFIG: config,
          BENCH_WORKER_PORT: String(quietPort),
          BENCH_PERSIST_TO: join(options.tmp, 'micro-quiet-state'),
          BENCH_WORKER_VARS: JSON.stringify(options.vars),
          WRANGLER_SEND_METRICS: 'false',
        },
      },
    );
    const quietChild = quiet;
    const [running, quietReady] = await Promise.all([
      startWranglerDev({
        root: options.root,
        config,
        port: await getFreePort(),
        persistTo: join(options.tmp, 'micro-state'),
        vars: options.vars,
        logLevel: options.logLevel,
      }),
      waitForHttp(`http://127.0.0.1:${quietPort}/healthz`, quietChild, 'the micro worker with the inspector off', 120_000).then(
        () => true,
        (err: unknown) => {
          options.log(`  inspector-off micro worker did not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          return false;
        },
      ),
    ]);
    worker = running;
    const startupMs = Date.now() - started;

    if (existsSync(REDIS_SERVER)) {
      try {
        redis = await startRedis();
        bridge = await startUpstashBridge({ redisUrl: redis.url });
      } catch (err) {
        bridgeError = `could not start redis + the Upstash bridge: ${err instanceof Error ? err.message : String(err)}`;
      }
    } else {
      bridgeError = `${REDIS_SERVER} not found: Upstash not measured`;
    }

    const wranglerDev = await runSuite(worker.url, 'wrangler dev', options, bridge, bridgeError);
    await worker.stop();
    worker = null;
    const inspectorOff = quietReady ? await runSuite(`http://127.0.0.1:${quietPort}`, 'inspector off', options, bridge, bridgeError) : null;
    return { wranglerDev, inspectorOff, startupMs };
  } finally {
    await worker?.stop();
    await quiet?.stop();
    await bridge?.close().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
  }
}
