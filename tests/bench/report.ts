import type { LoadCell } from './sections/http-load';
import type { MicroName, MicroResults, MicroSuite } from './sections/micro';
import type { SpaSizes, WorkerBundle } from './sections/sizes';
import type { StreamSummary } from './sections/streams';
import { round } from './lib/stats';

/** Everything one run measured; written as is to tests/bench/results/latest.json. */
export interface Report {
  version: 1;
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  machine: {
    cores: number;
    cpuModel: string;
    node: string;
    platform: string;
    totalMemoryMb: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    wrangler: string;
  };
  settings: Record<string, unknown>;
  notes: string[];
  /**
   * What the "worker" rows (ratios, targets) ran on: Miniflare on the exact deploy bundle (the
   * closest local stand-in for production), or wrangler dev when the Miniflare target failed.
   * Absent in reports written before the Miniflare target existed (= wrangler dev).
   */
  workerPrimary?: 'miniflare' | 'wrangler-dev';
  http: { cells: LoadCell[]; order: string[]; ratios: Ratios } | null;
  sse: { events: number; intervalMs: number; direct: StreamSummary; worker: StreamSummary; workerWranglerDev?: StreamSummary; workerInspectorOff?: StreamSummary } | null;
  chatkit: { deltas: number; intervalMs: number; origin: StreamSummary; worker: StreamSummary; workerWranglerDev?: StreamSummary; workerInspectorOff?: StreamSummary } | null;
  micro: MicroResults | null;
  sizes: { spa: SpaSizes | null; worker: WorkerBundle | null } | null;
  targets?: TargetResult[];
}

export interface TargetResult {
  target: string;
  measured: string;
  status: 'pass' | 'fail' | 'not measured';
  /** One line: why it was missed (or why it could not be measured). */
  why?: string;
}

export function ratios(cells: LoadCell[]) {
  const find = (target: string, c: number) => cells.find((cell) => cell.target === target && cell.connections === c)!;
  const concurrencies = [...new Set(cells.map((cell) => cell.connections))];
  return concurrencies.map((connections) => {
    const direct = find('direct', connections);
    const worker = find('worker', connections);
    const proxy = find('node-proxy', connections);
    const over = (a: LoadCell, b: LoadCell) => ({
      rps: round(a.requestsPerSecond / b.requestsPerSecond, 3),
      p50: round(a.p50Ms / b.p50Ms, 3),
      p99: round(a.p99Ms / b.p99Ms, 3),
    });
    return { connections, workerOverDirect: over(worker, direct), workerOverNodeProxy: over(worker, proxy) };
  });
}
export type Ratios = ReturnType<typeof ratios>;

// --- formatting --------------------------------------------------------------------------------------

const ms = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
const us = (valueMs: number | undefined) => (valueMs === undefined || !Number.isFinite(valueMs) ? '—' : `${(valueMs * 1000).toFixed(valueMs < 0.01 ? 2 : 1)} µs`);
const kb = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / 1000).toFixed(1)} kB`);
const x = (ratio: number | undefined) => (ratio === undefined || !Number.isFinite(ratio) ? '—' : `${ratio.toFixed(2)}×`);
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

function textTable(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells.map((cell, i) => (rightAlign[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)].map((line) => `  ${line}`).join('\n');
}

function mdTable(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const sep = headers.map((_, i) => (rightAlign[i] ? '---:' : '---'));
  return [headers, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

// --- the sections ------------------------------------------------------------------------------------

/** The fastest sample: other processes only ever add time, so this is the best estimate of the cost itself. */
export function minPerOp(loop: { perOpMs: number; samples?: { perOpMs: number }[] }): number {
  return loop.samples?.length ? Math.min(...loop.samples.map((s) => s.perOpMs)) : loop.perOpMs;
}

const onMiniflare = (report: Report) => report.workerPrimary === 'miniflare';
/** The primary worker row's name: what the ratios and the targets are judged on. */
const primaryLabel = (report: Report) => (onMiniflare(report) ? 'worker (Miniflare, built bundle)' : 'worker (wrangler dev)');

function httpRows(report: Report): string[][] {
  const label: Record<string, string> = {
    worker: primaryLabel(report),
    'wrangler-dev': 'worker (wrangler dev)',
    'worker-healthz': `${onMiniflare(report) ? 'worker (Miniflare)' : 'worker (wrangler dev)'}, GET /healthz (floor)`,
    'worker-noinsp': 'worker (wrangler dev), inspector off (diag.)',
  };
  return (report.http?.cells ?? []).map((cell) => [
    String(cell.connections),
    label[cell.target] ?? cell.target,
    cell.requestsPerSecond.toFixed(0),
    ms(cell.p50Ms, 3),
    ms(cell.p99Ms, 3),
    String(cell.non2xx + cell.errors),
  ]);
}
const HTTP_HEADERS = ['c', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors'];
const HTTP_ALIGN = [true, false, true, true, true, true];

/** Which processes belong to a target's own stack (the rest is the origin, the load generator, idle peers). */
function ownPrefix(target: string, report: Report): string | null {
  if (target === 'worker' || target === 'worker-healthz') return onMiniflare(report) ? 'miniflare: ' : 'wrangler dev: ';
  if (target === 'wrangler-dev') return 'wrangler dev: ';
  if (target === 'worker-noinsp') return 'inspector-off: ';
  if (target === 'node-proxy') return 'node-proxy';
  return null;
}

/** The target's own processes, the origin, the load generator, and everything else summed. */
function cpuParts(cell: LoadCell, report: Report): [string, number][] {
  const own = ownPrefix(cell.target, report);
  const parts: [string, number][] = [];
  let rest = 0;
  for (const [label, value] of Object.entries(cell.cpuMsPerRequest)) {
    const mine = own !== null && label.startsWith(own) && !label.endsWith(': other');
    if (mine || label.startsWith('origin') || label.startsWith('load generator')) parts.push([label, value]);
    else rest += value;
  }
  parts.sort((a, b) => b[1] - a[1]);
  if (rest >= 0.005) parts.push(['idle peers and launchers', rest]);
  return parts;
}

/** "CPU per request" lines: where each target's requests spent CPU, at every concurrency. */
function cpuLines(report: Report): string[] {
  const lines: string[] = [];
  for (const cell of report.http?.cells ?? []) {
    const parts = cpuParts(cell, report);
    if (!parts.length) continue;
    const total = parts.reduce((sum, [, value]) => sum + value, 0);
    const conns = cell.originConnectionsPerRequest;
    lines.push(
      `c=${cell.connections} ${cell.target}: ${total.toFixed(3)} ms = ${parts.map(([label, value]) => `${label} ${value.toFixed(3)}`).join(' + ')}` +
        (conns === null || cell.target === 'worker-healthz' ? '' : `  [new origin connections/request: ${conns.toFixed(2)}]`),
    );
  }
  return lines;
}

function ratioRows(report: Report): string[][] {
  return (report.http?.ratios ?? []).map((r) => [
    String(r.connections),
    x(r.workerOverDirect.rps),
    x(r.workerOverDirect.p50),
    x(r.workerOverDirect.p99),
    x(r.workerOverNodeProxy.rps),
    x(r.workerOverNodeProxy.p50),
    x(r.workerOverNodeProxy.p99),
  ]);
}
const RATIO_HEADERS = ['c', 'req/s w÷direct', 'p50 w÷direct', 'p99 w÷direct', 'req/s w÷node', 'p50 w÷node', 'p99 w÷node'];
const RATIO_ALIGN = [true, true, true, true, true, true, true];

function streamRows(report: Report): string[][] {
  const rows: string[][] = [];
  if (report.sse) {
    const { direct, worker } = report.sse;
    rows.push([`SSE (${report.sse.events} events / ${report.sse.intervalMs} ms) direct`, ms(direct.firstMs), ms(direct.lastMs), '']);
    rows.push([`SSE through the ${primaryLabel(report)}`, ms(worker.firstMs), ms(worker.lastMs), `${signed(worker.firstMs - direct.firstMs)} / ${signed(worker.lastMs - direct.lastMs)}`]);
    const dev = report.sse.workerWranglerDev;
    if (dev) rows.push(['  worker (wrangler dev)', ms(dev.firstMs), ms(dev.lastMs), `${signed(dev.firstMs - direct.firstMs)} / ${signed(dev.lastMs - direct.lastMs)}`]);
    const quiet = report.sse.workerInspectorOff;
    if (quiet) rows.push(['  worker (wrangler dev), inspector off (diag.)', ms(quiet.firstMs), ms(quiet.lastMs), `${signed(quiet.firstMs - direct.firstMs)} / ${signed(quiet.lastMs - direct.lastMs)}`]);
  }
  if (report.chatkit) {
    const { origin, worker } = report.chatkit;
    rows.push(['origin POST /api/v1/chat: first delta / done', ms(origin.firstMs), ms(origin.lastMs), '']);
    rows.push([`${primaryLabel(report)} POST /api/chatkit: first text_delta / reply done`, ms(worker.firstMs), ms(worker.lastMs), `${signed(worker.firstMs - origin.firstMs)} / ${signed(worker.lastMs - origin.lastMs)}`]);
    const dev = report.chatkit.workerWranglerDev;
    if (dev) rows.push(['  worker (wrangler dev)', ms(dev.firstMs), ms(dev.lastMs), `${signed(dev.firstMs - origin.firstMs)} / ${signed(dev.lastMs - origin.lastMs)}`]);
    const quiet = report.chatkit.workerInspectorOff;
    if (quiet) rows.push(['  worker (wrangler dev), inspector off (diag.)', ms(quiet.firstMs), ms(quiet.lastMs), `${signed(quiet.firstMs - origin.firstMs)} / ${signed(quiet.lastMs - origin.lastMs)}`]);
  }
  return rows;
}
const STREAM_HEADERS = ['stream (concurrency 1, median)', 'first ms', 'last ms', 'Δ vs direct (first / last)'];
const STREAM_ALIGN = [false, true, true, true];

function microRows(report: Report): string[][] {
  const m = report.micro;
  if (!m) return [];
  const dev = m.wranglerDev;
  const off = m.inspectorOff;
  const cell = (suite: MicroSuite | null, name: MicroName) => {
    if (!suite) return '—';
    const loop = suite.loops[name];
    return loop ? `${us(loop.perOpMs)} / ${us(minPerOp(loop))}` : 'FAILED';
  };
  const row = (label: string, name: MicroName, note: string): string[] => [
    label,
    cell(dev, name),
    cell(off, name),
    dev.loops[name] || off?.loops[name] ? note : (dev.errors[name] ?? off?.errors[name] ?? 'not run').slice(0, 90),
  ];
  const flags = dev.flags;
  return [
    row('verifyAccessToken (EdDSA, warm JWKS)', 'jwt', 'jose jwtVerify + claim checks'),
    row(
      'FlagsStore.snapshot + resolveFlags (warm)',
      'flags',
      flags
        ? `KV reads on the hot path: ${flags.hotKvReads} (kvReads) / ${flags.hotKvGets} (binding) in ${flags.hotIterations} calls` +
            (off?.flags ? `; inspector off: ${off.flags.hotKvReads} / ${off.flags.hotKvGets} in ${off.flags.hotIterations}` : '')
        : '',
    ),
    row('rate limiter: sliding window only', 'slidingWindow', 'the arithmetic the Durable Object runs'),
    row('rate limiter: Durable Object limit()', 'rateLimitDo', 'RPC to the local object, awaited per request'),
    row('rate limiter: Upstash limit() via bridge', 'rateLimitUpstash', 'REST → local bridge (Node) → redis-server'),
    row('one access-log line (logEvent)', 'logLine', 'console.log of one JSON line'),
    row('recording one turn\'s rollout signals (embedded sink)', 'signals', 'counters into the isolate aggregator; a batch to the Durable Object every 200 calls, in waitUntil (its RPC and SQLite work run in this same local process, so they are in this figure)'),
    row('  same, aggregator only (no batches sent)', 'signalsAggregateOnly', 'what a request itself spends: a few Map updates'),
    row(
      'fetch to the origin, loopback',
      'originFetch',
      `GET /api/v1/tasks on the fast origin, body read${typeof dev.loops.originFetch?.newOriginConnectionsPerFetch === 'number' ? `; new connections/fetch ${dev.loops.originFetch.newOriginConnectionsPerFetch}` : ''}`,
    ),
    row('whole chain GET /api/flags, in-isolate', 'chainFlags', 'every middleware, auth, DO limiter, flags; no network'),
    row('  same, console output switched off', 'chainFlagsNoLog', "the chain's own compute"),
    row('whole chain GET /healthz, in-isolate', 'chainHealthz', 'request id, access log, config, security headers'),
    row('floor: one awaited resolved promise', 'baseline', 'loop overhead, included in every row'),
  ];
}
const MICRO_HEADERS = ['inside workerd, per operation (median / min of samples)', 'wrangler dev', 'inspector off', 'note'];
const MICRO_ALIGN = [false, true, true, false];

function sizeRows(report: Report): string[][] {
  const rows: string[][] = [];
  const w = report.sizes?.worker;
  if (w) {
    rows.push([`worker bundle (wrangler deploy --dry-run${w.minifyConfigured ? ', minify = true' : ''})`, kb(w.bytes), kb(w.gzipBytes)]);
    if (w.minified) rows.push(['  same with --minify (not configured; for comparison)', kb(w.minified.bytes), kb(w.minified.gzipBytes)]);
  }
  const spa = report.sizes?.spa;
  if (spa) {
    rows.push([`SPA initial JS (${spa.initialJs.length} file${spa.initialJs.length === 1 ? '' : 's'}: entry + static imports)`, kb(spa.initialJsTotal.bytes), kb(spa.initialJsTotal.gzipBytes)]);
    rows.push([
      `SPA ChatKit chunk (lazy${spa.chatkitExtra.length ? ` + ${spa.chatkitExtra.length} shared` : ''}${spa.chatkitSplit ? ', split out' : ', NOT split'})`,
      kb(spa.chatkitTotal.bytes),
      kb(spa.chatkitTotal.gzipBytes),
    ]);
  }
  return rows;
}
const SIZE_HEADERS = ['artifact', 'raw', 'gzip'];
const SIZE_ALIGN = [false, true, true];

// --- targets -------------------------------------------------------------------------------------------

export function evaluateTargets(report: Report): TargetResult[] {
  const results: TargetResult[] = [];
  const cell = (target: string, c: number) => report.http?.cells.find((x) => x.target === target && x.connections === c);
  const micro = report.micro;
  const loops = micro?.wranglerDev.loops;
  const jwtMs = loops?.jwt?.perOpMs;
  const doMs = loops?.rateLimitDo?.perOpMs;
  const chainMs = loops?.chainFlags?.perOpMs;
  const inIsolate = [
    jwtMs !== undefined ? `JWT verify ${ms(jwtMs, 3)} ms` : null,
    doMs !== undefined ? `DO limiter ${ms(doMs, 3)} ms` : null,
    chainMs !== undefined ? `whole in-isolate chain for /api/flags ${ms(chainMs, 3)} ms` : null,
  ].filter(Boolean);
  const inIsolateText = inIsolate.length ? ` (measured in workerd: ${inIsolate.join(', ')})` : '';
  /** "7.0 ms CPU/request (node 2.4, proxy workerd 2.2, …)": the target's own processes, from /proc. */
  const cpuText = (c: LoadCell | undefined): string | null => {
    if (!c) return null;
    const own = ownPrefix(c.target, report);
    if (own === null) return null;
    const relevant = Object.entries(c.cpuMsPerRequest)
      .filter(([label, value]) => label.startsWith(own) && !label.endsWith(': other') && value >= 0.01)
      .sort((a, b) => b[1] - a[1]);
    if (!relevant.length) return null;
    const total = relevant.reduce((sum, [, value]) => sum + value, 0);
    const short = (label: string) => label.replace(/^wrangler dev: /, 'wrangler ').replace(/^inspector-off: /, 'wrangler ');
    return `${total.toFixed(2)} ms CPU/request (${relevant.map(([label, value]) => `${short(label)} ${value.toFixed(2)}`).join(', ')})`;
  };
  const noLogMs = loops?.chainFlagsNoLog?.perOpMs;
  const logMs = loops?.logLine?.perOpMs;
  const offLoops = micro?.inspectorOff?.loops;

  // 1. p50 at c=1
  {
    const target = 'p50 through the worker ≤ 1.3× direct at concurrency 1';
    const w = cell('worker', 1);
    const d = cell('direct', 1);
    if (!w || !d) results.push({ target, measured: '—', status: 'not measured' });
    else {
      const ratio = w.p50Ms / d.p50Ms;
      const pass = ratio <= 1.3;
      results.push({
        target,
        measured: `${ms(w.p50Ms, 3)} vs ${ms(d.p50Ms, 3)} ms = ${x(ratio)}`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : [
              `1.3× of a ${ms(d.p50Ms, 3)} ms loopback round trip leaves ${ms(d.p50Ms * 0.3, 3)} ms for a whole extra hop, which no proxy meets (the Node proxy: ${x((cell('node-proxy', 1)?.p50Ms ?? NaN) / d.p50Ms)})`,
              onMiniflare(report)
                ? `under Miniflare on the deploy bundle the path is one workerd process: ${cpuText(w) ?? 'n/a'}`
                : `under wrangler dev the path is two workerd processes plus wrangler's Node process: ${cpuText(w) ?? 'n/a'}`,
              cell('wrangler-dev', 1) ? `under wrangler dev the same worker is at ${ms(cell('wrangler-dev', 1)!.p50Ms, 2)} ms p50` : null,
              cell('worker-noinsp', 1) ? `with the inspector off (wrangler dev) at ${ms(cell('worker-noinsp', 1)!.p50Ms, 2)} ms p50` : null,
              loops?.chainFlags
                ? (() => {
                    const chain = minPerOp(loops.chainFlags);
                    const quiet = loops.chainFlagsNoLog ? minPerOp(loops.chainFlagsNoLog) : undefined;
                    const off = offLoops?.chainFlags ? minPerOp(offLoops.chainFlags) : undefined;
                    return (
                      `in-isolate (fastest samples) the whole middleware chain for /api/flags costs ${ms(chain, 3)} ms under wrangler dev` +
                      (quiet !== undefined ? `, ${ms(quiet, 3)} ms with console output off` : '') +
                      (off !== undefined ? `, ${ms(off, 3)} ms with the inspector off` : '') +
                      (quiet !== undefined && quiet < chain / 2 ? ': under wrangler dev the access-log line costs more than the rest of the worker' : '')
                    );
                  })()
                : null,
            ]
              .filter(Boolean)
              .join('; '),
      });
    }
  }
  // 2. throughput at 16 and 64
  {
    const target = "throughput ≥ the Node proxy's at concurrency 16 and 64";
    const parts: string[] = [];
    let measured = 0;
    let pass = true;
    for (const c of [16, 64]) {
      const w = cell('worker', c);
      const p = cell('node-proxy', c);
      if (!w || !p) continue;
      measured += 1;
      parts.push(`c${c}: ${w.requestsPerSecond.toFixed(0)} vs ${p.requestsPerSecond.toFixed(0)} req/s (${x(w.requestsPerSecond / p.requestsPerSecond)})`);
      if (w.requestsPerSecond < p.requestsPerSecond) pass = false;
    }
    if (measured === 0) results.push({ target, measured: '—', status: 'not measured' });
    else
      results.push({
        target,
        measured: parts.join('; ') + (measured < 2 ? ' (c64 not run in --quick)' : ''),
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : (() => {
              const c = cell('worker', 64) ? 64 : 16;
              const quiet = cell('worker-noinsp', c);
              const dev = cell('wrangler-dev', c);
              return [
                `CPU-bound on ${report.machine.cores} cores shared with the origin and the load generator: at c=${c} the worker costs ${cpuText(cell('worker', c)) ?? 'n/a'} vs the Node proxy's ${cpuText(cell('node-proxy', c)) ?? 'n/a'}`,
                dev ? `under wrangler dev: ${dev.requestsPerSecond.toFixed(0)} req/s, ${cpuText(dev) ?? 'n/a'}` : null,
                quiet ? `with the inspector off (wrangler dev): ${quiet.requestsPerSecond.toFixed(0)} req/s, ${cpuText(quiet) ?? 'n/a'}` : null,
                `the worker also does more per request (Durable Object limiter RPC${doMs !== undefined ? ` ${ms(doMs, 3)} ms` : ''}, access log${logMs !== undefined ? ` ${ms(logMs, 3)} ms` : ''}, security headers, request id)`,
              ]
                .filter(Boolean)
                .join('; ');
            })(),
      });
  }
  // 3. SSE first event
  {
    const target = 'SSE first event through the worker within 5 ms of direct';
    if (!report.sse) results.push({ target, measured: '—', status: 'not measured' });
    else {
      const delta = report.sse.worker.firstMs - report.sse.direct.firstMs;
      const pass = delta <= 5;
      results.push({
        target,
        measured: `${ms(report.sse.worker.firstMs)} vs ${ms(report.sse.direct.firstMs)} ms (${signed(delta)} ms)`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : [
              `before the origin is asked ${onMiniflare(report) ? '' : "the request crosses wrangler dev's proxy workerd, "}the token is verified and the limiter consulted${inIsolateText}`,
              report.sse.workerWranglerDev ? `wrangler dev: ${signed(report.sse.workerWranglerDev.firstMs - report.sse.direct.firstMs)} ms` : null,
              report.sse.workerInspectorOff ? `inspector off: ${signed(report.sse.workerInspectorOff.firstMs - report.sse.direct.firstMs)} ms` : null,
              `the last event trails direct by only ${signed(report.sse.worker.lastMs - report.sse.direct.lastMs)} ms: the gap is the set-up before the first byte, not the streaming`,
            ]
              .filter(Boolean)
              .join('; '),
      });
    }
  }
  // 4. JWT
  {
    const target = 'JWT verify (warm JWKS) ≤ 0.2 ms';
    if (jwtMs === undefined) results.push({ target, measured: '—', status: 'not measured', why: micro?.wranglerDev.errors.jwt });
    else {
      const pass = jwtMs <= 0.2;
      const fastest = minPerOp(loops!.jwt!);
      results.push({
        target,
        measured: `${us(jwtMs)} per verify (EdDSA; median, fastest sample ${us(fastest)}${offLoops?.jwt ? `; inspector off ${us(offLoops.jwt.perOpMs)}` : ''})`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : fastest <= 0.2
            ? `the fastest sample (${us(fastest)}) is within target: the median carries interference from other processes (load average ${report.machine.loadAverageAtStart[0]} → ${report.machine.loadAverageAtEnd[0] ?? '?'} on ${report.machine.cores} cores)`
            : "an Ed25519 signature check in workerd (BoringSSL via crypto.subtle) plus jose's header and claim validation; the signature check dominates",
      });
    }
  }
  // 5. flags
  {
    const target = 'flag resolution ≤ 0.05 ms, zero KV reads on the hot path';
    const flags = micro?.wranglerDev.flags;
    if (!flags) results.push({ target, measured: '—', status: 'not measured', why: micro?.wranglerDev.errors.flags });
    else {
      const fast = flags.perOpMs <= 0.05;
      const noReads = flags.hotKvReads === 0 && flags.hotKvGets === 0;
      results.push({
        target,
        measured: `${us(flags.perOpMs)} per snapshot+resolve (fastest ${us(minPerOp(flags))}); ${flags.hotKvReads} KV reads in ${flags.hotIterations} warm calls`,
        status: fast && noReads ? 'pass' : 'fail',
        why:
          fast && noReads
            ? undefined
            : [
                fast ? null : 'snapshot() awaits two cached reads (Promise.all) and rebuilds the problems map per call; resolveFlags hashes the user id',
                noReads ? null : `the hot path read KV ${flags.hotKvReads} times (a refresh inside the ${flags.softTtlMs} ms soft TTL?)`,
              ]
                .filter(Boolean)
                .join('; '),
      });
    }
  }
  // 6. worker bundle
  {
    const target = 'worker bundle ≤ 150 kB gzip';
    const w = report.sizes?.worker;
    if (!w) results.push({ target, measured: '—', status: 'not measured' });
    else {
      const pass = w.gzipBytes <= 150_000;
      const top = w.contributors
        .slice(0, 3)
        .map((c) => `${c.name} ${kb(c.bytes)}`)
        .join(', ');
      results.push({
        target,
        measured: `${kb(w.gzipBytes)} gzip (${kb(w.bytes)} raw, ${w.minifyConfigured ? 'minified' : 'not minified'})`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : `largest inputs (bytes in the output): ${top}${w.minified ? `; with minify = true in wrangler.toml it would be ${kb(w.minified.gzipBytes)} gzip` : ''}`,
      });
    }
  }
  // 7. SPA
  {
    const target = 'SPA initial JS ≤ 80 kB gzip, ChatKit split out';
    const spa = report.sizes?.spa;
    if (!spa) results.push({ target, measured: '—', status: 'not measured' });
    else {
      const small = spa.initialJsTotal.gzipBytes <= 80_000;
      const pass = small && spa.chatkitSplit;
      results.push({
        target,
        measured: `${kb(spa.initialJsTotal.gzipBytes)} gzip initial; ChatKit chunk ${kb(spa.chatkitTotal.gzipBytes)} gzip, ${spa.chatkitSplit ? 'lazy' : 'NOT split'}`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : [
              small ? null : `the entry chunk (${spa.initialJs.map((f) => f.file).join(', ')}) carries React, react-dom and the app shell`,
              spa.chatkitSplit ? null : spa.chatkitChunk ? 'the ChatKitPage chunk is statically reachable from the entry' : 'no ChatKitPage chunk found in the build',
            ]
              .filter(Boolean)
              .join('; '),
      });
    }
  }
  // 8. ChatKit
  {
    const target = 'first ChatKit text_delta within 5 ms of the origin\'s first delta (c=1)';
    if (!report.chatkit) results.push({ target, measured: '—', status: 'not measured' });
    else {
      const delta = report.chatkit.worker.firstMs - report.chatkit.origin.firstMs;
      const pass = delta <= 5;
      results.push({
        target,
        measured: `${ms(report.chatkit.worker.firstMs)} vs ${ms(report.chatkit.origin.firstMs)} ms (${signed(delta)} ms)`,
        status: pass ? 'pass' : 'fail',
        why: pass
          ? undefined
          : [
              'the origin is called only after auth, the api and chat limiters (two Durable Object RPCs), the flags check and a log line; then every origin event is parsed and validated and four ChatKit events precede the first text_delta',
              report.chatkit.workerWranglerDev ? `wrangler dev: ${signed(report.chatkit.workerWranglerDev.firstMs - report.chatkit.origin.firstMs)} ms` : null,
              report.chatkit.workerInspectorOff ? `inspector off: ${signed(report.chatkit.workerInspectorOff.firstMs - report.chatkit.origin.firstMs)} ms` : null,
              `the final item trails the origin's done by ${signed(report.chatkit.worker.lastMs - report.chatkit.origin.lastMs)} ms: the gap is mostly set-up before the first delta, not per delta`,
            ]
              .filter(Boolean)
              .join('; '),
      });
    }
  }
  return results;
}

function targetRows(report: Report): string[][] {
  return (report.targets ?? []).map((t) => [t.target, t.measured, t.status === 'pass' ? 'PASS' : t.status === 'fail' ? 'MISS' : 'n/a']);
}

// --- printing ------------------------------------------------------------------------------------------

export function printReport(report: Report): void {
  const m = report.machine;
  const out: string[] = [];
  const settings = report.settings as { rounds?: number; durationS?: number };
  out.push('');
  out.push('═'.repeat(100));
  out.push(`Results (${report.mode}) — ${m.cores} × ${m.cpuModel}, Node ${m.node}, wrangler ${m.wrangler}, load avg ${m.loadAverageAtStart.join('/')} → ${m.loadAverageAtEnd.join('/')}`);
  out.push(
    onMiniflare(report)
      ? 'Worker = Miniflare running the exact `wrangler deploy` bundle (minified, one workerd, no wrangler dev proxy worker or inspector): the\nclosest local stand-in for production; wrangler dev rows for reference. direct = the fast origin; node-proxy = jose + @hono/node-server + hono/proxy.'
      : 'Worker = wrangler dev (workerd, local KV/DO/assets, the build `npm run dev` runs); direct = the fast origin; node-proxy = jose + @hono/node-server + hono/proxy.',
  );
  out.push(`Ratios and target verdicts use the ${primaryLabel(report)} rows${onMiniflare(report) ? '' : ' (the Miniflare target did not run)'}; the micro-benchmarks run inside workerd under wrangler dev.`);
  out.push('═'.repeat(100));
  if (report.http) {
    out.push(`\nGET /api/v1/tasks with a valid Bearer token — median of ${settings.rounds} round(s) × ${settings.durationS} s per target`);
    out.push(textTable(HTTP_HEADERS, httpRows(report), HTTP_ALIGN));
    out.push('  "worker (wrangler dev)" = `wrangler dev` (proxy workerd + worker workerd + inspector relay), for reference; "inspector off" =');
    out.push('  the same through wrangler\'s dev server (unstable_startWorker) with dev.inspector = false, so console output is not relayed over');
    out.push(`  DevTools; "floor" = the ${primaryLabel(report)} answering /healthz (no token check, no limiter, no origin fetch).`);
    out.push(`\nRatios (worker = ${primaryLabel(report)}; worker ÷ direct, worker ÷ node-proxy; req/s > 1 is better, latency < 1 is better)`);
    out.push(textTable(RATIO_HEADERS, ratioRows(report), RATIO_ALIGN));
    const cpu = cpuLines(report);
    if (cpu.length) {
      out.push('\nCPU per request (ms, all processes involved incl. the load generator; /proc, 10 ms ticks; median of rounds)');
      for (const line of cpu) out.push(`  ${line}`);
    }
  }
  if (report.sse || report.chatkit) {
    out.push('');
    out.push(textTable(STREAM_HEADERS, streamRows(report), STREAM_ALIGN));
  }
  if (report.micro) {
    const clock = report.micro.wranglerDev.clock;
    const minMs = (report.settings as { micro?: { minMs: number } }).micro?.minMs ?? 300;
    out.push('');
    out.push(textTable(MICRO_HEADERS, microRows(report), MICRO_ALIGN));
    if (clock) {
      out.push(
        `  clock: performance.now() steps by ${clock.stepMs} ms and ${clock.advancesWithoutIo ? 'does' : 'does NOT'} advance during synchronous code here (production workerd freezes it between I/O);`,
      );
      out.push(`  every row is total time ÷ iterations over samples of ≥ ${minMs} ms ending on an I/O boundary, so quantisation error ≤ ${((100 * (clock.stepMs || 1)) / minMs).toFixed(1)} %; median of samples.`);
    }
  }
  if (report.sizes) {
    out.push('');
    out.push(textTable(SIZE_HEADERS, sizeRows(report), SIZE_ALIGN));
    const contributors = report.sizes.worker?.contributors ?? [];
    if (contributors.length) out.push(`  worker bundle, largest inputs (bytes in the output): ${contributors.slice(0, 6).map((c) => `${c.name} ${kb(c.bytes)}`).join(', ')}`);
  }
  if (report.targets?.length) {
    out.push(`\nTargets (judged on the ${primaryLabel(report)} rows; JWT and flags on the micro-benchmarks under wrangler dev)`);
    out.push(textTable(['target', 'measured', 'result'], targetRows(report)));
    for (const t of report.targets) if (t.why) out.push(`  · ${t.status === 'pass' ? '' : 'missed: '}${t.target} — ${t.why}`);
  }
  for (const note of report.notes) out.push(`  note: ${note}`);
  console.log(out.join('\n'));
  console.log(`\n--- markdown for README "Performance" (paste as is) ---\n\n${markdown(report)}\n--- end markdown ---`);
}

export function markdown(report: Report): string {
  const m = report.machine;
  const settings = report.settings as { rounds?: number; durationS?: number };
  const parts: string[] = [];
  parts.push(
    `Measured with \`npm run bench${report.mode === 'quick' ? ' -- --quick' : ''}\` on ${m.cores} × ${m.cpuModel}, Node ${m.node}, ${report.startedAt.slice(0, 10)}. ` +
      (onMiniflare(report)
        ? 'The worker row is the exact `wrangler deploy --dry-run` bundle (minified) run by Miniflare in workerd, with in-memory KV and Durable Objects and no `wrangler dev` proxy worker or inspector: the closest local stand-in for production; ratios and targets use it. *worker (wrangler dev)* is the same worker under `wrangler dev`, for reference; the micro-benchmarks run under `wrangler dev`. '
        : 'The worker runs in workerd under `wrangler dev` (the same build and runtime as `npm run dev`, local KV, Durable Objects and assets); ') +
      '*direct* is a minimal Node origin, *node-proxy* a plain Node reverse proxy doing the same job (jose + @hono/node-server + hono/proxy). ' +
      `Load generator, origin and targets share the machine; medians of ${settings.rounds} interleaved round(s) × ${settings.durationS} s.`,
  );
  if (report.http) {
    parts.push(mdTable(HTTP_HEADERS, httpRows(report), HTTP_ALIGN));
    parts.push(mdTable(RATIO_HEADERS, ratioRows(report), RATIO_ALIGN));
  }
  if (report.sse || report.chatkit) parts.push(mdTable(STREAM_HEADERS, streamRows(report), STREAM_ALIGN));
  if (report.micro) parts.push(mdTable(MICRO_HEADERS.slice(0, 3), microRows(report).map((r) => r.slice(0, 3)), MICRO_ALIGN));
  if (report.sizes) parts.push(mdTable(SIZE_HEADERS, sizeRows(report), SIZE_ALIGN));
  if (report.targets?.length) {
    parts.push(mdTable(['target', 'measured', 'result'], targetRows(report)));
    const misses = report.targets.filter((t) => t.status === 'fail' && t.why);
    // The first clause of each reason; the full one is in the printed report and latest.json.
    if (misses.length) parts.push(misses.map((t) => `- **${t.target}**: ${t.why!.split('; ')[0]}`).join('\n'));
  }
  return parts.join('\n\n');
}
