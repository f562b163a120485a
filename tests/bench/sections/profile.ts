import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { waitForHttp } from '../lib/processes';
import { median, round } from '../lib/stats';
import { startWorkerd, type WorkerdSpec } from '../lib/workerd';
import { timeStream, type StreamSpec } from './streams';
import { Agent } from 'node:http';

/**
 * Where the worker's CPU goes: a V8 CPU profile of the worker in plain workerd (lib/workerd.ts,
 * inspector on), taken over the same requests the load section sends, then summed by function
 * and by source module. The bundle is the deploy build without minification (same code, readable
 * names; esbuild's `// path` comments mark which module each line came from).
 *
 * Two workloads: `GET /api/v1/tasks` under load from many users (the proxied request), and ChatKit
 * turns one after another (`POST /api/chatkit`, threads.create).
 */

export interface ProfileEntry {
  name: string;
  /** Self time per request (µs). */
  us: number;
  share: number;
}

export interface ProfileSummary {
  workload: string;
  requests: number;
  /** Sampled CPU per request, idle excluded (µs). */
  cpuUsPerRequest: number;
  byModule: ProfileEntry[];
  byFunction: ProfileEntry[];
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface SocketLike {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'message' | 'open' | 'error' | 'close', listener: (event: { data?: unknown }) => void): void;
}

/** Node ≥ 22 has a global WebSocket; on Node 20, the `ws` package wrangler itself depends on. */
function openSocket(root: string, url: string): SocketLike {
  const Global = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (Global) return new Global(url);
  const fromWrangler = createRequire(createRequire(join(root, 'package.json')).resolve('wrangler/package.json'));
  const Ws = fromWrangler('ws') as new (url: string) => SocketLike;
  return new Ws(url);
}

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
async function devtools(root: string, url: string) {
  const socket = openSocket(root, url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)));
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id !== undefined) waiting.get(message.id)?.(message.error ? { error: message.error } : message.result);
  });
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, (result) => {
          waiting.delete(id);
          const failed = (result as { error?: { message: string } } | undefined)?.error;
          if (failed) reject(new Error(`${method}: ${failed.message}`));
          else resolve(result as T);
        });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Module of each line of an esbuild bundle, from its `// path` comments. */
function moduleMap(bundle: string): (line: number) => string {
  const marks: { line: number; name: string }[] = [];
  bundle.split('\n').forEach((text, line) => {
    const match = /^\/\/ ((?:node_modules|worker|shared)\/\S+)$/.exec(text);
    if (match) marks.push({ line, name: match[1]! });
  });
  const short = (path: string) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    return pkg ?? path;
  };
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]!.line <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === -1 ? '(bundle prologue)' : short(marks[found]!.name);
  };
}

function summarise(profiles: CpuProfile[], moduleOf: (line: number) => string, requests: number, workload: string): ProfileSummary {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    // The sampler stops while the isolate waits for I/O, and the first sample after a wait carries
    // the whole gap in its time delta: each sample counts as one typical interval instead.
    const interval = median(profile.timeDeltas.slice(1));
    for (const id of profile.samples) {
      const node = nodes.get(id);
      if (!node) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(root)') continue;
      const module = url.endsWith('.js') && lineNumber >= 0 ? moduleOf(lineNumber) : functionName.startsWith('(') ? functionName : '(runtime built-ins)';
      const fn = `${functionName || '(anonymous)'} — ${module}`;
      byModule.set(module, (byModule.get(module) ?? 0) + interval);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + interval);
      total += interval;
    }
  }
  const top = (map: Map<string, number>, n: number): ProfileEntry[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, us: round(micros / Math.max(1, requests), 2), share: round(micros / Math.max(1, total), 3) }));
  return { workload, requests, cpuUsPerRequest: round(total / Math.max(1, requests), 1), byModule: top(byModule, 14), byFunction: top(byFunction, 18) };
}

export interface ProfileOptions {
  root: string;
  /** The unminified deploy bundle. */
  bundleFile: string;
  spec: Omit<WorkerdSpec, 'module' | 'port' | 'dir'>;
  dir: string;
  port: number;
  inspectorPort: number;
  tokens: string[];
  durationS: number;
  chatTurns: number;
  log: (line: string) => void;
}

export async function profileWorker(options: ProfileOptions): Promise<ProfileSummary[]> {
  const { root, log } = options;
  const worker = startWorkerd(
    root,
    { ...options.spec, dir: options.dir, port: options.port, module: { file: options.bundleFile } },
    'worker (plain workerd, profiled)',
    [`--inspector-addr=127.0.0.1:${options.inspectorPort}`],
  );
  try {
    await waitForHttp(`${worker.url}/healthz`, worker.child, 'the profiled worker', 60_000);
    const targets = (await (await fetch(`http://127.0.0.1:${options.inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
    if (!targets.length) throw new Error('the inspector lists no isolate');
    const sessions = await Promise.all(targets.map((target) => devtools(root, target.webSocketDebuggerUrl)));
    const moduleOf = moduleMap(readFileSync(options.bundleFile, 'utf8'));
    const record = async (work: () => Promise<number>, workload: string): Promise<ProfileSummary> => {
      for (const session of sessions) {
        await session.send('Profiler.enable');
        await session.send('Profiler.setSamplingInterval', { interval: 50 });
        await session.send('Profiler.start');
      }
      const requests = await work();
      const profiles = await Promise.all(sessions.map((session) => session.send<{ profile: CpuProfile }>('Profiler.stop').then((r) => r.profile)));
      if (process.env.BENCH_PROFILE_DUMP)
        writeFileSync(join(process.env.BENCH_PROFILE_DUMP, `${workload.split(' ')[1]!.replace(/\W/g, '_')}.cpuprofile`), JSON.stringify(profiles[0]));
      const summary = summarise(profiles, moduleOf, requests, workload);
      log(`  ${workload}: ${summary.cpuUsPerRequest} µs sampled CPU per request over ${requests} requests`);
      for (const entry of summary.byModule.slice(0, 8))
        log(`    ${String(entry.us).padStart(8)} µs  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${entry.name}`);
      return summary;
    };

    const authorizations = options.tokens.map((token) => `Bearer ${token}`);
    let next = 0;
    // Warm every user's path first (JWKS, isolate, caches), then profile the same traffic.
    const load = async (durationS: number) => {
      const result = await autocannon({
        url: `${worker.url}/api/v1/tasks`,
        connections: 16,
        duration: durationS,
        requests: [{ setupRequest: (request) => ({ ...request, headers: { authorization: authorizations[next++ % authorizations.length]! } }) }],
      });
      return result['2xx'];
    };
    await load(1);
    const tasks = await record(() => load(options.durationS), `GET /api/v1/tasks, ${options.tokens.length} users, c=16`);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const chatkit: StreamSpec = {
      name: 'chatkit',
      url: `${worker.url}/api/chatkit`,
      method: 'POST',
      headers: { authorization: authorizations[0]!, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'threads.create',
        params: { input: { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } },
      }),
      isFirst: () => false,
      isLast: () => false,
    };
    await timeStream(chatkit, agent);
    const turns = await record(async () => {
      let ok = 0;
      for (let i = 0; i < options.chatTurns; i++) if ((await timeStream(chatkit, agent)).status === 200) ok += 1;
      return ok;
    }, `POST /api/chatkit threads.create, one turn at a time`);
    agent.destroy();
    for (const session of sessions) session.close();
    return [tasks, turns];
  } finally {
    await worker.child.stop();
  }
}
