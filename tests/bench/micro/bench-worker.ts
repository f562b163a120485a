/**
 * Micro-benchmarks inside workerd: the worker's own modules, imported as the worker imports them
 * and timed in loops. Run by `npm run bench` under `wrangler dev --config tests/bench/micro/wrangler.toml`
 * with the same vars as the worker; each `POST /<name>` runs one benchmark and answers JSON.
 *
 * Clocks: workerd's `performance.now()` / `Date.now()` tick in whole milliseconds. Under
 * `wrangler dev` they advance during synchronous code too (production freezes them between I/O);
 * `/clock` reports what this runtime does. Each timed loop therefore runs for at least `minMs`
 * (hundreds of ms), ends on an I/O boundary (`scheduler.wait(0)`) so the clock is current even
 * where it only moves across I/O, and is reported as total time / iterations.
 */
import { KV_KEY_FLAGS, KV_KEY_ROLLBACK } from '../../../shared/flags';
import { createApp } from '../../../worker/app';
import { readConfig } from '../../../worker/config';
import { flagsStoreFor } from '../../../worker/flags/flags-store';
import { resolveFlags } from '../../../worker/flags/resolve-flags';
import { TokenVerifier, verifyAccessToken } from '../../../worker/lib/jwt';
import { logEvent } from '../../../worker/lib/log';
import { DurableObjectRateLimiter } from '../../../worker/rate-limit/durable-object-limiter';
import type { RateLimiter } from '../../../worker/rate-limit/limiter';
import { consumeSlidingWindow, emptyWindowCounts } from '../../../worker/rate-limit/sliding-window';
import { UpstashRateLimiter } from '../../../worker/rate-limit/upstash-limiter';
import { aggregatorFor, recordSignal } from '../../../worker/signals/sink';
import { countersOf, type Signal } from '../../../worker/signals/signal';
import { SignalAggregator } from '../../../worker/signals/aggregate';

export { RateLimiterObject } from '../../../worker/rate-limit/durable-object';
export { SignalStoreObject } from '../../../worker/signals/store-object';

interface Params {
  /** A valid access token (EdDSA, signed by the bench, JWKS served by the fast origin). */
  token?: string;
  /** Minimum duration of one timed sample. */
  minMs?: number;
  /** Timed samples per benchmark (the median is reported by the caller). */
  samples?: number;
  upstash?: { url: string; token: string };
}

interface Sample {
  iterations: number;
  elapsedMs: number;
  perOpMs: number;
}

interface LoopResult {
  samples: Sample[];
  /** Median of the samples' per-operation time. */
  perOpMs: number;
  /** Clock resolution seen by the calibration (ms). */
  clockResolutionMs: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** An I/O boundary: in production workerd the clock only moves across one. */
const ioBoundary = (): Promise<void> => scheduler.wait(0);

/** The smallest non-zero step of `performance.now()` observed while spinning (max 50 ms). */
function clockStep(): { stepMs: number; advancesWithoutIo: boolean } {
  const start = performance.now();
  let previous = start;
  const spinUntil = Date.now() + 50;
  let step = Infinity;
  let spins = 0;
  while (spins < 50_000_000) {
    spins += 1;
    const now = performance.now();
    if (now !== previous) {
      step = Math.min(step, now - previous);
      previous = now;
      if (step <= 0.001) break;
    }
    if (Date.now() > spinUntil && step !== Infinity) break;
  }
  return { stepMs: step === Infinity ? 0 : step, advancesWithoutIo: step !== Infinity };
}

let clockInfo: { stepMs: number; advancesWithoutIo: boolean } | null = null;
const clock = () => (clockInfo ??= clockStep());

/**
 * Runs `op` (awaited one after the other, as requests would run it) for at least `minMs` and
 * `minIterations`, reading the clock once per batch (batches double while they are short, so the
 * clock read costs nothing measurable). Where the clock only moves across I/O, every batch ends
 * on an I/O boundary; the sample always does.
 */
async function runFor(op: (i: number) => unknown, minMs: number, minIterations: number): Promise<Sample> {
  const { advancesWithoutIo } = clock();
  await ioBoundary();
  const t0 = performance.now();
  let n = 0;
  let batch = 1;
  for (;;) {
    for (let i = 0; i < batch; i++) await op(n + i);
    n += batch;
    if (!advancesWithoutIo) await ioBoundary();
    const elapsed = performance.now() - t0;
    if (elapsed >= minMs && n >= minIterations) break;
    if (elapsed < minMs / 100) batch *= 2;
  }
  await ioBoundary();
  const elapsedMs = performance.now() - t0;
  return { iterations: n, elapsedMs, perOpMs: elapsedMs / n };
}

/** An untimed warm-up (JIT, caches, the first Durable Object call), then `samples` timed runs. */
async function timeLoop(op: (i: number) => unknown, { minMs, samples }: { minMs: number; samples: number }): Promise<LoopResult> {
  await runFor(op, Math.max(5, minMs / 4), 5);
  const results: Sample[] = [];
  for (let s = 0; s < samples; s++) results.push(await runFor(op, minMs, 5));
  return { samples: results, perOpMs: median(results.map((r) => r.perOpMs)), clockResolutionMs: clock().stepMs };
}

/** A KV binding that counts `get`s, to check `FlagsStore.kvReads` independently. */
function countingKv(kv: KVNamespace): { kv: KVNamespace; gets: () => number } {
  let gets = 0;
  const wrapped = {
    get: (...args: unknown[]) => {
      gets += 1;
      return (kv.get as (...a: unknown[]) => unknown)(...args);
    },
  } as unknown as KVNamespace;
  return { kv: wrapped, gets: () => gets };
}

const USER_IDS = Array.from({ length: 64 }, (_, i) => `bench-user-${i}`);

type Handler = (params: Required<Pick<Params, 'minMs' | 'samples'>> & Params, env: Env, ctx: ExecutionContext) => Promise<unknown>;

/** Turn number `i` for the signals rows: both variants, a mix of outcomes, varied latencies. */
const TURN_OUTCOMES = ['ok', 'ok', 'ok', 'upstream_error', 'stream_error', 'aborted'] as const;
function syntheticTurn(i: number): Signal {
  return {
    type: 'call',
    variant: i & 1 ? 'chatkit' : 'legacy',
    mode: 'backend',
    route: 'turn',
    outcome: TURN_OUTCOMES[i % TURN_OUTCOMES.length]!,
    ttftMs: 40 + (i & 255),
    durationMs: 400 + (i & 1023),
  };
}

const handlers: Record<string, Handler> = {
  /** What the clock does here: resolution, and whether it moves without I/O. */
  async clock() {
    const a = clock();
    await ioBoundary();
    const before = performance.now();
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += i % 7;
    const during = performance.now() - before;
    return { ...a, busyLoopMs: during, checksum: x };
  },

  /** The floor every awaited loop pays: one `await` of an already-resolved promise. */
  async baseline(params) {
    return timeLoop(() => Promise.resolve(), params);
  },

  /**
   * A full token check with the JWKS already cached (first call fetches it, untimed) and the
   * verified-token cache off: the Ed25519 signature and jose's claim checks, every time.
   */
  async jwt(params, env) {
    if (!params.token) throw new Error('token is required');
    const config = readConfig(env);
    const verifier = new TokenVerifier({ cacheMs: 0 });
    const warm = await verifier.verify(params.token, config.jwt);
    const token = params.token;
    const result = await timeLoop(() => verifier.verify(token, config.jwt), params);
    return { ...result, userId: warm.userId, alg: 'EdDSA (Ed25519)', signatureChecks: verifier.signatureChecks };
  },

  /** verifyAccessToken as requests call it: a token seen before is a hit in the verified-token cache. */
  async jwtCached(params, env) {
    if (!params.token) throw new Error('token is required');
    const config = readConfig(env);
    const warm = await verifyAccessToken(params.token, config.jwt);
    const token = params.token;
    const result = await timeLoop(() => verifyAccessToken(token, config.jwt), params);
    return { ...result, userId: warm.userId };
  },

  /**
   * The /api/flags hot path: `flagsStoreFor(...).snapshot()` + `resolveFlags()` with a warm cache,
   * KV reads counted both by `FlagsStore.kvReads` and by a counting KV binding.
   */
  async flags(params, env, ctx) {
    const config = readConfig(env);
    await env.FLAGS.put(KV_KEY_ROLLBACK, 'false');
    await env.FLAGS.put(
      KV_KEY_FLAGS,
      JSON.stringify({
        chatkit: {
          rollout_percent: 50,
          allow_users: Array.from({ length: 20 }, (_, i) => `allowed-${i}`),
          deny_users: Array.from({ length: 20 }, (_, i) => `denied-${i}`),
        },
      }),
    );
    const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
    const samples: Sample[] = [];
    let hotKvReads = 0;
    let hotKvGets = 0;
    let warmKvReads = 0;
    let stepMs = 0;
    let warmupIterations = 0;
    const variants = { chatkit: 0, legacy: 0 };
    // A fresh store (and binding wrapper) per sample, warmed untimed, so every timed loop runs
    // well inside the soft TTL (FLAGS_CACHE_TTL_SECONDS) and any KV read in it is a hot-path read.
    for (let s = 0; s < params.samples; s++) {
      const counting = countingKv(env.FLAGS);
      const store = flagsStoreFor(counting.kv, config.flagsCacheTtlMs);
      await store.snapshot(waitUntil);
      warmKvReads += store.kvReads;
      const readsBefore = store.kvReads;
      const getsBefore = counting.gets();
      const op = async (i: number) => {
        const snapshot = await store.snapshot(waitUntil);
        const answer = resolveFlags(config, snapshot, USER_IDS[i & 63]!);
        variants[answer.chat.variant] += 1;
      };
      // The warm-up's calls are hot-path calls too: their KV reads and iterations count.
      if (s === 0) warmupIterations += (await runFor(op, Math.max(5, params.minMs / 4), 5)).iterations;
      const sample = await runFor(op, params.minMs, 5);
      stepMs = clock().stepMs;
      hotKvReads += store.kvReads - readsBefore;
      hotKvGets += counting.gets() - getsBefore;
      samples.push(sample);
    }
    return {
      samples,
      perOpMs: median(samples.map((r) => r.perOpMs)),
      clockResolutionMs: stepMs,
      softTtlMs: config.flagsCacheTtlMs,
      warmKvReads,
      hotIterations: warmupIterations + samples.reduce((sum, r) => sum + r.iterations, 0),
      hotKvReads,
      hotKvGets,
      variants,
    };
  },

  /**
   * One access-log line as worker/middleware/access-log.ts writes it (`logEvent` → console.log).
   * Under wrangler dev every console call also goes to wrangler over the inspector protocol;
   * production ships logs outside the request path.
   */
  async logLine(params) {
    return timeLoop(
      (i) =>
        logEvent('info', 'request', {
          request_id: '2f1c7a52-8e47-4d0b-9a43-5b1de4f0c9aa',
          method: 'GET',
          path: '/api/v1/tasks',
          status: 200,
          duration_ms: i & 7,
          user_id: 'bench-user',
        }),
      params,
    );
  },

  /**
   * One `fetch` from workerd to the fast origin's `GET /api/v1/tasks`, body read: the network leg
   * the proxy route adds (loopback here; a real origin is further away).
   */
  async originFetch(params, env) {
    const url = `${readConfig(env).originUrl}/api/v1/tasks`;
    let failures = 0;
    const result = await timeLoop(async () => {
      const res = await fetch(url, { headers: { 'x-user-id': 'bench-user' } });
      await res.arrayBuffer();
      if (!res.ok) failures += 1;
    }, params);
    return { ...result, failures };
  },

  /**
   * Recording one chat turn's rollout signals with the embedded sink, as worker/middleware/signals.ts
   * does at a request's end: counters into the isolate's aggregator (outcome, time to first token,
   * duration), and every FLUSH_EVERY_EVENTS-th call a batch handed to the SignalStoreObject in
   * waitUntil (started here, amortised into the per-call figure; the RPC itself is off the path).
   */
  async signals(params, env, ctx) {
    const config = readConfig(env);
    const waitUntil = (promise: Promise<unknown>) => ctx.waitUntil(promise);
    const result = await timeLoop((i) => {
      const signal = syntheticTurn(i);
      recordSignal(env, config, waitUntil, signal);
    }, params);
    return { ...result, pendingCounters: aggregatorFor(env.SIGNAL_STORE).size, droppedCounters: aggregatorFor(env.SIGNAL_STORE).dropped };
  },

  /** The same turn's counters into an aggregator only (no batch ever sent): the request path's own share. */
  async signalsAggregateOnly(params) {
    const aggregator = new SignalAggregator();
    const result = await timeLoop((i) => {
      const signal = syntheticTurn(i);
      aggregator.add(Date.now(), signal.variant, countersOf(signal));
      if (aggregator.size > 4000) aggregator.drain();
    }, params);
    return result;
  },

  /** The sliding-window arithmetic alone (what the Durable Object runs per request). */
  async slidingWindow(params) {
    const counts = emptyWindowCounts();
    return timeLoop(() => consumeSlidingWindow(counts, 1_000_000, 60_000, Date.now()), params);
  },

  /** One `limit()` per request through the embedded Durable Object limiter (RPC to the object). */
  async rateLimitDo(params, env) {
    const config = readConfig(env);
    const limiter: RateLimiter = new DurableObjectRateLimiter(env.RATE_LIMITER);
    return limiterLoop(limiter, config.rateLimits.timeoutMs, params);
  },

  /** The same through Upstash's REST API (the local bridge to a real redis-server). */
  async rateLimitUpstash(params, env) {
    if (!params.upstash) throw new Error('upstash is required');
    const config = readConfig(env);
    return limiterLoop(new UpstashRateLimiter(params.upstash), config.rateLimits.timeoutMs, params);
  },

  /**
   * The whole middleware chain for `GET /api/flags` with a valid token (request id, access log,
   * config, security headers, CORS, body limit, auth, rate limit, flags), in this isolate, no
   * network: what the worker itself spends on a request.
   */
  async chainFlags(params, env, ctx) {
    return chainLoop('/api/flags', params, env, ctx, false);
  },

  /** The same with console output switched off: the chain's compute without the log line. */
  async chainFlagsNoLog(params, env, ctx) {
    return chainLoop('/api/flags', params, env, ctx, true);
  },

  /** `GET /healthz` through the chain: request id, access log, config, security headers only. */
  async chainHealthz(params, env, ctx) {
    return chainLoop('/healthz', params, env, ctx, false);
  },
};

async function chainLoop(path: string, params: Params & { minMs: number; samples: number }, env: Env, ctx: ExecutionContext, silent: boolean) {
  if (!params.token) throw new Error('token is required');
  const app = createApp();
  const headers = { authorization: `Bearer ${params.token}` };
  const first = await app.fetch(new Request(`http://bench.local${path}`, { headers }), env, ctx);
  const body = await first.text();
  if (first.status !== 200) throw new Error(`GET ${path} answered ${first.status}: ${body}`);
  const saved = { log: console.log, warn: console.warn, error: console.error };
  if (silent) console.log = console.warn = console.error = () => undefined;
  try {
    const result = await timeLoop(async () => {
      const res = await app.fetch(new Request(`http://bench.local${path}`, { headers }), env, ctx);
      await res.arrayBuffer();
    }, params);
    return { ...result, status: first.status };
  } finally {
    Object.assign(console, saved);
  }
}

async function limiterLoop(limiter: RateLimiter, timeoutMs: number, params: { minMs: number; samples: number }) {
  const key = `user:bench-${crypto.randomUUID()}`;
  let unavailable = 0;
  let refused = 0;
  let pending: Promise<unknown>[] = [];
  const result = await timeLoop(async () => {
    const outcome = await limiter.limit({ policy: 'api', rule: { limit: 1_000_000, windowMs: 60_000 }, key, timeoutMs });
    if (outcome.kind === 'unavailable') unavailable += 1;
    else {
      if (!outcome.verdict.success) refused += 1;
      if (outcome.pending) pending.push(outcome.pending);
      if (pending.length > 1000) pending = [Promise.all(pending)];
    }
  }, params);
  await Promise.all(pending);
  return { ...result, backend: limiter.backend, unavailable, refused };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return new Response('ok');
    const handler = handlers[url.pathname.slice(1)];
    if (!handler || request.method !== 'POST') return Response.json({ error: 'unknown benchmark' }, { status: 404 });
    const params = (await request.json()) as Params;
    try {
      const result = await handler({ ...params, minMs: params.minMs ?? 300, samples: params.samples ?? 5 }, env, ctx);
      return Response.json(result);
    } catch (err) {
      return Response.json({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;
