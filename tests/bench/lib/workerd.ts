import { copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FORWARDED_REQUEST_HEADERS, PASSED_RESPONSE_HEADERS } from '../../../shared/proxy-headers';
import { spawnChild, type Child } from './processes';

/**
 * Plain workerd, the way production runs a worker: the `workerd` binary wrangler ships, serving a
 * config of the bench's own with one socket straight into the worker. No Miniflare entry worker
 * (which copies every request and rewrites its headers before a service binding hands it on), no
 * wrangler dev proxy worker, no inspector, no Node process relaying console output: workerd writes
 * the access-log lines to a file (counted at the end), as production ships logs off the request path.
 *
 * Bindings the worker needs that plain workerd has no built-in for:
 * - `FLAGS` (KV): workerd forwards KV calls as HTTP to a service; `KV_SERVICE` below is a tiny
 *   in-memory one, seeded with the flags JSON. The worker reads KV once per cache TTL, so it is off
 *   the hot path.
 * - `RATE_LIMITER`: a real Durable Object namespace of the bundle's own `RateLimiterObject`, in
 *   memory (the object keeps its counts in memory anyway).
 * - `SIGNAL_STORE`: the bundle's `SignalStoreObject` (SQLite in memory), so the rollout signals
 *   are recorded and flushed in batches as under `npm run dev`.
 */

/** The workerd binary wrangler runs (nested under wrangler when versions differ). */
export function workerdBinary(root: string): string {
  const fromWrangler = createRequire(createRequire(join(root, 'package.json')).resolve('wrangler/package.json'));
  return join(dirname(fromWrangler.resolve('workerd/package.json')), 'bin', 'workerd');
}

/** The KV protocol workerd speaks to a `kvNamespace` service: GET/PUT/DELETE `/<url-encoded key>`. */
const KV_SERVICE = `const seed = JSON.parse(SEED_PLACEHOLDER);
const store = new Map(Object.entries(seed));
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (request.method === 'GET') {
      if (key === '' ) return Response.json({ keys: [...store.keys()].map((name) => ({ name })), list_complete: true });
      const value = store.get(key);
      return value === undefined ? new Response(null, { status: 404 }) : new Response(value);
    }
    if (request.method === 'PUT') { store.set(key, await request.text()); return new Response(null); }
    if (request.method === 'DELETE') { store.delete(key); return new Response(null); }
    return new Response(null, { status: 405 });
  },
};
`;

/**
 * The runtime's floor: a worker that forwards the request to the origin and returns its answer,
 * nothing else. Any proxy worker pays at least this.
 */
export const FLOOR_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers: request.headers });
  },
};
`;

/**
 * The floor plus the runtime primitives any proxy worker of this kind pays per request, and none of
 * this worker's own code: the request headers copied through the allowlist, the header timeout's
 * timer and signal, a SHA-256 of the token (what a verified-token cache is keyed by), the answer's
 * headers filtered into a new `Headers` and `Response` with the security and `RateLimit-*`
 * headers set, and one JSON log line. It authenticates nobody. "primitives ÷ floor" is the runtime's
 * price of those primitives; "worker ÷ primitives" is what the worker's own code adds on top (Hono,
 * the token check, the limiter, flags, signals). The allowlists are the worker's own
 * (shared/proxy-headers.ts).
 */
export const PRIMITIVES_WORKER = `const forwarded = new Set(${JSON.stringify(FORWARDED_REQUEST_HEADERS)});
const passed = new Set(${JSON.stringify([...PASSED_RESPONSE_HEADERS])});
const encoder = new TextEncoder();
export default {
  async fetch(request, env) {
    const startedAt = Date.now();
    const url = new URL(request.url);
    const requestId = crypto.randomUUID();
    const tokenKey = await crypto.subtle.digest('SHA-256', encoder.encode(request.headers.get('authorization') ?? ''));
    const headers = new Headers();
    for (const [name, value] of request.headers) if (forwarded.has(name)) headers.set(name, value);
    headers.set('x-request-id', requestId);
    headers.set('x-forwarded-proto', url.protocol.slice(0, -1));
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), 10000);
    let upstream;
    try {
      upstream = await fetch(env.ORIGIN_URL + url.pathname + url.search, { method: request.method, headers, redirect: 'manual', signal: timeout.signal });
    } finally {
      clearTimeout(timer);
    }
    const answer = new Headers();
    for (const [name, value] of upstream.headers) if (passed.has(name)) answer.set(name, value);
    answer.set('x-request-id', requestId);
    answer.set('x-content-type-options', 'nosniff');
    answer.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    answer.set('cross-origin-resource-policy', 'same-origin');
    answer.set('ratelimit-limit', '1000000');
    answer.set('ratelimit-remaining', '999999');
    answer.set('ratelimit-reset', '60');
    console.log(JSON.stringify({ level: 'info', event: 'request', time: new Date().toISOString(), request_id: requestId, method: request.method, path: url.pathname, status: upstream.status, duration_ms: Date.now() - startedAt, token_key_bytes: tokenKey.byteLength }));
    return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: answer });
  },
};
`;

/** For cold start: the smallest worker there is, so its start-up is workerd's own. */
export const EMPTY_WORKER = `export default { fetch() { return new Response('ok'); } };\n`;

const capnpString = (value: string) => JSON.stringify(value);

export interface WorkerdSpec {
  /** A folder of its own (config, modules and the log file go here). */
  dir: string;
  port: number;
  /** The main module: a file path (copied in) or inline source. */
  module: { file: string } | { source: string };
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Text bindings. */
  vars: Record<string, string>;
  /** KV `FLAGS` seeded with these keys, and `RATE_LIMITER` bound (the app bundle only). */
  appBindings?: { flags: Record<string, string> };
}

export function writeWorkerdConfig(spec: WorkerdSpec): string {
  mkdirSync(spec.dir, { recursive: true });
  let moduleName = 'worker.js';
  if ('file' in spec.module) {
    moduleName = basename(spec.module.file);
    // The bundle and anything beside it (source map, wasm) travel together.
    for (const name of readdirSync(dirname(spec.module.file))) {
      if (/\.(m?js|map|wasm)$/.test(name)) copyFileSync(join(dirname(spec.module.file), name), join(spec.dir, name));
    }
  } else {
    writeFileSync(join(spec.dir, moduleName), spec.module.source);
  }
  const bindings = Object.entries(spec.vars).map(([name, value]) => `(name = ${capnpString(name)}, text = ${capnpString(value)})`);
  const services = ['(name = "main", worker = .mainWorker)', '(name = "net", network = (allow = ["public", "private", "local"]))'];
  let extra = '';
  if (spec.appBindings) {
    writeFileSync(
      join(spec.dir, 'kv.js'),
      KV_SERVICE.replace('SEED_PLACEHOLDER', () => JSON.stringify(JSON.stringify(spec.appBindings!.flags))),
    );
    bindings.push(
      '(name = "FLAGS", kvNamespace = "kv")',
      '(name = "RATE_LIMITER", durableObjectNamespace = "RateLimiterObject")',
      '(name = "SIGNAL_STORE", durableObjectNamespace = "SignalStoreObject")',
    );
    services.push('(name = "kv", worker = .kvWorker)');
    extra = `  durableObjectNamespaces = [
    (className = "RateLimiterObject", uniqueKey = "calm-orbit-bench-rate-limiter", enableSql = true),
    (className = "SignalStoreObject", uniqueKey = "calm-orbit-bench-signal-store", enableSql = true),
  ],
  durableObjectStorage = (inMemory = void),
`;
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ ${services.join(', ')} ],
  sockets = [ (name = "http", address = "127.0.0.1:${spec.port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [ (name = ${capnpString(moduleName)}, esModule = embed ${capnpString(moduleName)}) ],
  compatibilityDate = ${capnpString(spec.compatibilityDate)},
  compatibilityFlags = [ ${spec.compatibilityFlags.map(capnpString).join(', ')} ],
  bindings = [ ${bindings.join(',\n    ')} ],
${extra}  globalOutbound = "net",
);
const kvWorker :Workerd.Worker = (
  modules = [ (name = "kv.js", esModule = embed "kv.js") ],
  compatibilityDate = ${capnpString(spec.compatibilityDate)},
);
`;
  if (!spec.appBindings) writeFileSync(join(spec.dir, 'kv.js'), 'export default { fetch() { return new Response(null, { status: 404 }); } };\n');
  const file = join(spec.dir, 'config.capnp');
  writeFileSync(file, config);
  return file;
}

export interface RunningWorkerd {
  child: Child;
  url: string;
  /** Lines the worker wrote to stdout so far (its access log). */
  logLines(): number;
}

/**
 * Starts `workerd serve` on a written config in its own process group. stdout (console.log: one
 * access-log line per request) goes to a file, so nothing on the request path waits for a reader.
 */
export function startWorkerd(root: string, spec: WorkerdSpec, label: string, extraArgs: string[] = []): RunningWorkerd {
  const config = writeWorkerdConfig(spec);
  const logFile = join(spec.dir, 'stdout.log');
  const child = spawnChild(
    label,
    '/bin/sh',
    ['-c', 'config="$1"; log="$2"; shift 2; exec "$0" serve "$config" --experimental "$@" >"$log"', workerdBinary(root), config, logFile, ...extraArgs],
    { cwd: spec.dir },
  );
  return {
    child,
    url: `http://127.0.0.1:${spec.port}`,
    logLines: () => {
      if (!existsSync(logFile)) return 0;
      let lines = 0;
      for (const byte of readFileSync(logFile)) if (byte === 10) lines += 1;
      return lines;
    },
  };
}

/** CPU nanoseconds every thread of `pid` has run (schedstat: nanosecond resolution, unlike /proc/stat's ticks). */
export function threadCpuNs(pid: number): number {
  let total = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      total += Number(fields[0] ?? 0);
    }
  } catch {
    return Number.NaN;
  }
  return total;
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ColdStart {
  /** From spawning workerd to the first response's headers (ms). */
  firstResponseMs: number;
  /** CPU all of workerd's threads had used when the first response arrived (ms). */
  cpuMs: number;
  status: number;
}

/**
 * One cold start: a fresh workerd process (so a fresh isolate: bundle parse, module
 * evaluation), timed from spawn to its first response on `path`. Polls the socket every 2 ms.
 */
export async function coldStart(root: string, spec: WorkerdSpec, path: string, headers: Record<string, string> = {}): Promise<ColdStart> {
  const config = writeWorkerdConfig(spec);
  const started = performance.now();
  const child = spawnChild('workerd cold start', workerdBinary(root), ['serve', config, '--experimental'], { cwd: spec.dir });
  try {
    const deadline = started + 30_000;
    while (!(await tryConnect(spec.port))) {
      if (child.process.exitCode !== null) throw new Error(`workerd exited:\n${child.logs()}`);
      if (performance.now() > deadline) throw new Error(`workerd never listened:\n${child.logs()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const res = await fetch(`http://127.0.0.1:${spec.port}${path}`, { headers });
    const firstResponseMs = performance.now() - started;
    const cpuMs = threadCpuNs(child.process.pid!) / 1e6;
    await res.body?.cancel();
    return { firstResponseMs, cpuMs, status: res.status };
  } finally {
    await child.stop();
  }
}
