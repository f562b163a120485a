import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { median, round } from '../lib/stats';

/**
 * Streaming latency at concurrency 1: time from sending the request to the first (and last)
 * event, read incrementally with node:http over a kept-alive connection (one per target, warmed
 * first, so no run pays a TCP handshake the other does not). Targets alternate run by run.
 */

export interface SseEvent {
  event: string;
  data: string;
}

export interface StreamSpec {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The event whose arrival is "first" (e.g. the first delta). */
  isFirst(event: SseEvent): boolean;
  /** The event whose arrival is "last". */
  isLast(event: SseEvent): boolean;
}

export interface StreamTiming {
  firstMs: number;
  lastMs: number;
  endMs: number;
  events: number;
  status: number;
}

export interface StreamSummary {
  name: string;
  runs: StreamTiming[];
  firstMs: number;
  lastMs: number;
  endMs: number;
  failures: number;
}

const EVENT_END = /\r?\n\r?\n/;

function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

export function timeStream(spec: StreamSpec, agent: Agent, timeoutMs = 15_000): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const url = new URL(spec.url);
    const headers: Record<string, string | number> = { ...spec.headers };
    if (spec.body !== undefined) headers['content-length'] = Buffer.byteLength(spec.body);
    let firstMs = Number.NaN;
    let lastMs = Number.NaN;
    let events = 0;
    let buffer = '';
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: spec.method, headers, agent }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now() - started;
        buffer += chunk;
        for (let match = EVENT_END.exec(buffer); match !== null; match = EVENT_END.exec(buffer)) {
          const event = parseBlock(buffer.slice(0, match.index));
          buffer = buffer.slice(match.index + match[0].length);
          if (!event) continue;
          events += 1;
          if (Number.isNaN(firstMs) && spec.isFirst(event)) firstMs = now;
          if (Number.isNaN(lastMs) && spec.isLast(event)) lastMs = now;
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ firstMs, lastMs, endMs: performance.now() - started, events, status: res.statusCode ?? 0 });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${spec.name}: no end within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const started = performance.now();
    req.end(spec.body);
  });
}

/** `runs` timed runs per spec after one untimed warm-up each, the specs alternating. */
export async function compareStreams(specs: StreamSpec[], runs: number, log: (line: string) => void): Promise<StreamSummary[]> {
  const agents = new Map(specs.map((spec) => [spec.name, new Agent({ keepAlive: true, maxSockets: 1 })]));
  const timings = new Map<string, StreamTiming[]>(specs.map((spec) => [spec.name, []]));
  const failures = new Map<string, number>(specs.map((spec) => [spec.name, 0]));
  try {
    for (const spec of specs) await timeStream(spec, agents.get(spec.name)!);
    for (let run = 0; run < runs; run++) {
      for (let k = 0; k < specs.length; k++) {
        const spec = specs[(run + k) % specs.length]!;
        try {
          const timing = await timeStream(spec, agents.get(spec.name)!);
          if (timing.status !== 200 || Number.isNaN(timing.firstMs) || Number.isNaN(timing.lastMs)) {
            failures.set(spec.name, failures.get(spec.name)! + 1);
            log(`  ${spec.name}: run ${run + 1} incomplete (HTTP ${timing.status}, ${timing.events} events)`);
            continue;
          }
          timings.get(spec.name)!.push(timing);
        } catch (err) {
          failures.set(spec.name, failures.get(spec.name)! + 1);
          log(`  ${spec.name}: run ${run + 1} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
  return specs.map((spec) => {
    const mine = timings.get(spec.name)!;
    const summary: StreamSummary = {
      name: spec.name,
      runs: mine.map((t) => ({ ...t, firstMs: round(t.firstMs, 3), lastMs: round(t.lastMs, 3), endMs: round(t.endMs, 3) })),
      firstMs: round(median(mine.map((t) => t.firstMs)), 3),
      lastMs: round(median(mine.map((t) => t.lastMs)), 3),
      endMs: round(median(mine.map((t) => t.endMs)), 3),
      failures: failures.get(spec.name)!,
    };
    log(`  ${spec.name.padEnd(28)} first ${summary.firstMs.toFixed(2)} ms  last ${summary.lastMs.toFixed(2)} ms  (median of ${mine.length})`);
    return summary;
  });
}
