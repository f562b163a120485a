import autocannon from 'autocannon';
import { cpuDelta, type ProcessCpu } from '../lib/cpu';
import { median, percentileSorted, round, Samples } from '../lib/stats';

/**
 * `GET /api/v1/tasks` under load with autocannon, the targets interleaved so machine drift
 * (colleagues' jobs, thermal, GC) hits all of them alike: for each concurrency, every round runs
 * each target once, starting with a different one each round (A B C, B C A, C A B, …).
 *
 * Latencies come from autocannon's per-response `responseTime` (hrtime, fractional ms) rather than
 * its histogram, which stores whole milliseconds: at concurrency 1 on loopback the interesting
 * differences are fractions of a millisecond.
 */

export interface Target {
  name: string;
  url: string;
  /** Run only at these concurrencies (a diagnostic row); default: all. */
  onlyAt?: number[];
  /** Bearer tokens used round-robin across all connections; default: the load's `tokens`. */
  tokens?: string[];
}

export interface LoadRun {
  target: string;
  connections: number;
  round: number;
  durationS: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** CPU milliseconds per 2xx response, by process (load generator included). */
  cpuMsPerRequest: Record<string, number>;
  /** New TCP connections the origin accepted per request it served during the run (0 = all reused). */
  originConnectionsPerRequest: number | null;
}

export interface LoadCell {
  target: string;
  connections: number;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Summed over the rounds. */
  non2xx: number;
  errors: number;
  /** Medians over the rounds of CPU ms per 2xx response, by process. */
  cpuMsPerRequest: Record<string, number>;
  /** Median over the rounds of new origin connections per origin request. */
  originConnectionsPerRequest: number | null;
  rounds: LoadRun[];
}

export interface LoadOptions {
  targets: Target[];
  headers: Record<string, string>;
  /**
   * Bearer tokens, one per user, sent round-robin: one counter shared by every connection, so
   * consecutive requests come from different users (no cache sees the same token twice in a row).
   */
  tokens: string[];
  concurrencies: number[];
  rounds: number;
  durationS: number;
  warmupS: number;
  /** Per-process CPU readings of the servers (see lib/cpu.ts); omitted → no CPU breakdown. */
  cpuSnapshot?: () => ProcessCpu[];
  /** The fast origin's `/__stats` URL; omitted → no connection counts. */
  originStatsUrl?: string;
  log: (line: string) => void;
}

interface OriginStats {
  connections: number;
  requests: number;
}
async function originStats(url: string | undefined): Promise<OriginStats | null> {
  if (!url) return null;
  try {
    return (await (await fetch(url)).json()) as OriginStats;
  } catch {
    return null;
  }
}

async function runOnce(
  target: Target,
  connections: number,
  durationS: number,
  headers: Record<string, string>,
  tokens: string[],
  cpuSnapshot?: () => ProcessCpu[],
  statsUrl?: string,
) {
  const statsBefore = await originStats(statsUrl);
  const latencies = new Samples();
  const authorizations = (target.tokens ?? tokens).map((token) => `Bearer ${token}`);
  let next = 0;
  // Every row (one token or many) builds each request this way, so the load generator's cost is alike.
  const setupRequest = (request: { headers: Record<string, string> }) => {
    request.headers = { ...headers, authorization: authorizations[next++ % authorizations.length]! };
    return request;
  };
  const cpuBefore = cpuSnapshot?.() ?? [];
  const selfBefore = process.cpuUsage();
  const instance = autocannon({ url: target.url, connections, duration: durationS, pipelining: 1, timeout: 10, headers, requests: [{ setupRequest }] });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const self = process.cpuUsage(selfBefore);
  const statsAfter = await originStats(statsUrl);
  const originRequests = statsBefore && statsAfter ? statsAfter.requests - statsBefore.requests : 0;
  const originConnectionsPerRequest =
    statsBefore && statsAfter && originRequests > 0 ? round((statsAfter.connections - statsBefore.connections) / originRequests, 3) : null;
  const cpu: Record<string, number> = cpuSnapshot ? cpuDelta(cpuBefore, cpuSnapshot()) : {};
  cpu['load generator (autocannon)'] = (self.user + self.system) / 1000;
  const ok = Math.max(1, result['2xx']);
  const cpuMsPerRequest = Object.fromEntries(Object.entries(cpu).map(([label, msUsed]) => [label, round(msUsed / ok, 4)]));
  const sorted = latencies.sorted();
  return {
    durationS: result.duration,
    requestsPerSecond: result['2xx'] / result.duration,
    p50Ms: percentileSorted(sorted, 50),
    p99Ms: percentileSorted(sorted, 99),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMsPerRequest,
    originConnectionsPerRequest,
  };
}

export async function runLoad(options: LoadOptions): Promise<{ cells: LoadCell[]; order: string[] }> {
  const { targets, headers, tokens, log } = options;
  const order: string[] = [];
  for (const target of targets) {
    const warm = await runOnce(target, target.onlyAt?.[0] ?? 16, options.warmupS, headers, tokens);
    log(`  warm-up ${target.name}: ${Math.round(warm.requestsPerSecond)} req/s, ${warm.non2xx + warm.errors} errors`);
  }
  const cells: LoadCell[] = [];
  for (const connections of options.concurrencies) {
    const here = targets.filter((t) => !t.onlyAt || t.onlyAt.includes(connections));
    const runs: LoadRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < here.length; k++) {
        const target = here[(round + k) % here.length]!;
        order.push(`c${connections}r${round + 1}:${target.name}`);
        const run = await runOnce(target, connections, options.durationS, headers, tokens, options.cpuSnapshot, options.originStatsUrl);
        runs.push({ target: target.name, connections, round: round + 1, ...run });
        log(
          `  c=${String(connections).padEnd(2)} round ${round + 1}/${options.rounds} ${target.name.padEnd(20)} ` +
            `${String(Math.round(run.requestsPerSecond)).padStart(6)} req/s  p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(2)} ms` +
            (run.non2xx + run.errors ? `  errors ${run.non2xx + run.errors}` : ''),
        );
      }
    }
    for (const target of here) {
      const mine = runs.filter((run) => run.target === target.name);
      cells.push({
        target: target.name,
        connections,
        requestsPerSecond: round(median(mine.map((r) => r.requestsPerSecond)), 1),
        p50Ms: round(median(mine.map((r) => r.p50Ms)), 3),
        p99Ms: round(median(mine.map((r) => r.p99Ms)), 3),
        non2xx: mine.reduce((sum, r) => sum + r.non2xx, 0),
        errors: mine.reduce((sum, r) => sum + r.errors, 0),
        cpuMsPerRequest: Object.fromEntries(
          [...new Set(mine.flatMap((r) => Object.keys(r.cpuMsPerRequest)))].map((label) => [
            label,
            round(median(mine.map((r) => r.cpuMsPerRequest[label] ?? 0)), 4),
          ]),
        ),
        originConnectionsPerRequest: mine.every((r) => r.originConnectionsPerRequest === null)
          ? null
          : round(median(mine.flatMap((r) => (r.originConnectionsPerRequest === null ? [] : [r.originConnectionsPerRequest]))), 3),
        rounds: mine.map((r) => ({ ...r, requestsPerSecond: round(r.requestsPerSecond, 1), p50Ms: round(r.p50Ms, 3), p99Ms: round(r.p99Ms, 3) })),
      });
    }
  }
  return { cells, order };
}
