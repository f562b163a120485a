/**
 * `npm run bench` — what the edge costs, measured side by side in one run (README "Performance").
 *
 *   npm run bench                 full run (about 8 min on 2 cores)
 *   npm run bench -- --quick      smoke run: concurrency 1 and 16, one short round, fewer samples
 *
 * Options: --quick, --only=http,streams,profile,coldstart,micro,sizes (any subset),
 * --wrangler-log-level=<level> (default warn; `info` is what scripts/dev/stack.ts passes and prints
 * a line per request).
 *
 * It starts, all on 127.0.0.1: a minimal fast origin (servers/fast-origin.ts); the primary worker
 * target, the exact `wrangler deploy --dry-run` bundle served by plain workerd with a config of the
 * bench's own (lib/workerd.ts: no entry worker, no proxy worker, no inspector; the ratios and
 * targets use it); beside it, run the same way, a minimal pass-through worker (the runtime's
 * floor); the same bundle under Miniflare and the worker under `wrangler dev`, for reference; a
 * plain Node reverse proxy (servers/node-proxy.ts) and one doing the worker's work
 * (servers/node-proxy-same-work.ts). Load comes from 1,000 users (tokens of the bench's own issuer,
 * round-robin); single-token rows are reported apart. Then it measures, prints a table, the
 * targets and a markdown version, and writes tests/bench/results/latest.json (plus
 * latest-full.json or latest-quick.json, so a smoke run never overwrites the last full run). Every
 * process it starts is stopped before it exits, also on Ctrl-C. Nothing asserts on time: targets
 * are reported only. See tests/bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_getVarsForDev, unstable_readConfig } from 'wrangler';
import { WranglerKv } from '../../scripts/flags/wrangler-kv';
import { readToolchain } from '../../scripts/toolchain';
import { KV_KEY_FLAGS } from '../../shared/flags';
import { getFreePort } from '../helpers/ports';
import { snapshotCpu } from './lib/cpu';
import { onExit, spawnChild, waitForHttp, type Child } from './lib/processes';
import { median, round } from './lib/stats';
import { createBenchKeys } from './lib/token';
import { startWranglerDev, type RunningWorker } from './lib/wrangler-dev';
import { coldStart, EMPTY_WORKER, FLOOR_WORKER, PRIMITIVES_WORKER, startWorkerd, type ColdStart, type WorkerdSpec } from './lib/workerd';
import { runLoad, type Target } from './sections/http-load';
import { profileWorker } from './sections/profile';
import { runMicro } from './sections/micro';
import { buildSpa, buildWorkerBundle, measureSpa, measureWorkerBundle, workerBundlePath, type SpaSizes, type WorkerBundle } from './sections/sizes';
import { compareStreams, type SseEvent, type StreamSpec } from './sections/streams';
import { evaluateTargets, printReport, ratios, type ColdStartRow, type Report } from './report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const sections = new Set((onlyArg ?? 'http,streams,profile,coldstart,micro,sizes').split(',').map((s) => s.trim()));
const logLevelArg = args.find((a) => a.startsWith('--wrangler-log-level='))?.slice('--wrangler-log-level='.length);
const wranglerLogLevel = (logLevelArg ?? 'warn') as 'warn' | 'info' | 'error' | 'none';

const settings = quick
  ? {
      mode: 'quick' as const,
      users: 1000,
      concurrencies: [1, 16],
      rounds: 1,
      durationS: 1,
      warmupS: 0.5,
      sse: { events: 5, intervalMs: 20, runs: 3 },
      chat: { deltas: 4, intervalMs: 10, runs: 3 },
      micro: { minMs: 60, samples: 1 },
      coldStart: { runs: 2 },
      profile: { durationS: 2, chatTurns: 20 },
    }
  : {
      mode: 'full' as const,
      users: 1000,
      concurrencies: [1, 16, 64],
      rounds: 4,
      durationS: 3,
      warmupS: 2,
      sse: { events: 20, intervalMs: 10, runs: 25 },
      chat: { deltas: 8, intervalMs: 10, runs: 25 },
      micro: { minMs: 250, samples: 5 },
      coldStart: { runs: 7 },
      profile: { durationS: 5, chatTurns: 100 },
    };

const log = (line: string) => console.log(line);
const section = (title: string) => console.log(`\n▸ ${title}`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const cpuList = cpus();
  const machine = {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    platform: `${platform()} ${release()}`,
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    loadAverageAtStart: loadavg().map((v) => round(v, 2)),
    loadAverageAtEnd: [] as number[],
    // Node, wrangler, Miniflare and the one workerd build every worker row runs on
    // (scripts/toolchain.ts refuses two).
    ...readToolchain(root),
  };
  console.log(
    `Calm Orbit Edge benchmark (${settings.mode}) — ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}, workerd ${machine.workerd}, wrangler ${machine.wrangler}`,
  );
  console.log(
    `load average at start: ${machine.loadAverageAtStart.join(' ')}${machine.loadAverageAtStart[0]! > machine.cores * 0.5 ? '  (busy machine: expect noisy numbers)' : ''}`,
  );

  const tmp = mkdtempSync(join(tmpdir(), 'calm-orbit-bench-'));
  onExit(() => rmSync(tmp, { recursive: true, force: true }));
  const spaOut = join(tmp, 'spa');
  const children: Child[] = [];
  /** The wrangler dev worker while it runs (stopped early, before the micro-benchmarks). */
  const live: { worker: RunningWorker | null } = { worker: null };
  const report: Report = {
    version: 2,
    mode: settings.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine,
    settings: { ...settings, wranglerLogLevel, sections: [...sections] },
    notes: [],
    http: null,
    sse: null,
    chatkit: null,
    coldStart: null,
    profile: null,
    micro: null,
    sizes: null,
  };

  /** The deploy bundle (`wrangler deploy --dry-run --outdir`): the sizes section's build, else built once here. */
  let bundlePromise: Promise<string> | null = null;
  const ensureBundle = (): Promise<string> =>
    (bundlePromise ??= (async () => {
      const built = workerBundlePath(tmp);
      if (existsSync(built)) return built;
      const assetsDir = existsSync(join(root, 'dist/web/index.html')) ? join(root, 'dist/web') : spaOut;
      return buildWorkerBundle(root, join(tmp, 'worker-bundle'), assetsDir);
    })());
  const wranglerConfig = unstable_readConfig({ config: join(root, 'wrangler.toml') }, { hideWarnings: true });
  /** What `wrangler dev` would bind (wrangler.toml [vars], then .dev.vars), then the bench's overrides. */
  const devVars = (overrides: Record<string, string>): Record<string, string> => {
    const fromWrangler = unstable_getVarsForDev(join(root, 'wrangler.toml'), undefined, wranglerConfig.vars, undefined, true) as Record<
      string,
      { value: unknown }
    >;
    const plainVars = Object.fromEntries(
      Object.entries(fromWrangler).flatMap(([name, binding]) => (typeof binding.value === 'string' ? [[name, binding.value]] : [])),
    );
    return { ...plainVars, ...overrides };
  };
  const workerdBase = (bindingVars: Record<string, string>) => ({
    compatibilityDate: wranglerConfig.compatibility_date ?? '2026-04-01',
    compatibilityFlags: wranglerConfig.compatibility_flags ?? [],
    vars: bindingVars,
  });

  try {
    // --- sizes first: the SPA build is also what wrangler dev serves when dist/web is missing ----
    let spa: SpaSizes | null = null;
    let bundle: WorkerBundle | null = null;
    if (sections.has('sizes') || !existsSync(join(root, 'dist/web/index.html'))) {
      section('SPA build (vite build → a temporary outDir, dist/web untouched)');
      const buildMs = await buildSpa(root, spaOut);
      spa = measureSpa(spaOut, buildMs);
      log(`  built in ${buildMs} ms; initial JS ${(spa.initialJsTotal.gzipBytes / 1000).toFixed(1)} kB gzip`);
    }
    if (sections.has('sizes')) {
      section('Worker bundle (wrangler deploy --dry-run --outdir)');
      try {
        bundle = await measureWorkerBundle(root, tmp, spaOut, { compareMinified: !quick });
        log(`  ${(bundle.gzipBytes / 1000).toFixed(1)} kB gzip (${bundle.wranglerSays ?? 'wrangler printed no total'})`);
      } catch (err) {
        report.notes.push(`worker bundle not measured: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        log(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
      report.sizes = { spa, worker: bundle };
    }

    const needServers = ['http', 'streams', 'profile', 'coldstart', 'micro'].some((name) => sections.has(name));
    if (needServers) await measureWithServers();
  } finally {
    await live.worker?.stop().catch(() => undefined);
    await Promise.all(children.map((child) => child.stop().catch(() => undefined)));
    rmSync(tmp, { recursive: true, force: true });
    machine.loadAverageAtEnd = loadavg().map((v) => round(v, 2));
    report.finishedAt = new Date().toISOString();
  }

  const resultsDir = join(root, 'tests/bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  report.targets = evaluateTargets(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  // A smoke run must not overwrite the last full run's numbers: each mode also keeps its own copy.
  writeFileSync(join(resultsDir, `latest-${report.mode}.json`), json);
  printReport(report);
  console.log(`\nraw numbers: ${file.replace(`${root}/`, '')}  (took ${Math.round((Date.parse(report.finishedAt) - startedAt.getTime()) / 1000)} s)`);

  async function measureWithServers(): Promise<void> {
    // --- the servers ---------------------------------------------------------------------------
    section('Starting the fast origin, the Node proxies and the worker (plain workerd on the deploy bundle; the pass-through floor; Miniflare; wrangler dev)');
    const keys = await createBenchKeys();
    const [originPort, proxyPort, sameWorkPort, workerPort] = [await getFreePort(), await getFreePort(), await getFreePort(), await getFreePort()];
    const originUrl = `http://127.0.0.1:${originPort}`;
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const origin = spawnChild('fast origin', tsx, [join(root, 'tests/bench/servers/fast-origin.ts')], {
      cwd: root,
      env: {
        ...process.env,
        BENCH_ORIGIN_PORT: String(originPort),
        BENCH_JWKS: JSON.stringify(keys.jwks),
        BENCH_CHAT_DELTAS: String(settings.chat.deltas),
        BENCH_CHAT_INTERVAL_MS: String(settings.chat.intervalMs),
      },
    });
    children.push(origin);
    await waitForHttp(`${originUrl}/healthz`, origin, 'the fast origin', 30_000);

    // Better Auth uses its base URL as issuer and audience; so does the bench (the origin's URL).
    // One token per user; the load sends them round-robin (lib/token.ts: the bench's own issuer).
    const tokens = await Promise.all(
      Array.from({ length: settings.users }, (_, i) => keys.sign({ sub: `bench-user-${i}`, issuer: originUrl, audience: originUrl })),
    );
    const token = tokens[0]!;
    const firstUser = 'bench-user-0';
    const bearer = { authorization: `Bearer ${token}` };
    const unlimited = '1000000/60';
    const vars: Record<string, string> = {
      ORIGIN_URL: originUrl,
      JWT_JWKS_URL: `${originUrl}/api/auth/jwks`,
      JWT_SECRET: '',
      JWT_ISSUER: originUrl,
      JWT_AUDIENCE: originUrl,
      ALLOWED_ORIGINS: `http://127.0.0.1:${workerPort}`,
      CHATKIT_MODE: 'backend',
      ROLLBACK_CHAT: 'false',
      // The embedded Durable Object limiter, whatever .dev.vars says; limits high enough never to
      // refuse a benchmark request (the limiter still runs: its cost is part of what is measured).
      UPSTASH_REDIS_REST_URL: '',
      UPSTASH_REDIS_REST_TOKEN: '',
      RATE_LIMIT_API: unlimited,
      RATE_LIMIT_CHAT: unlimited,
      RATE_LIMIT_SESSION: unlimited,
      RATE_LIMIT_AUTH: unlimited,
      RATE_LIMIT_ANONYMOUS: unlimited,
    };
    const everyoneOnChatkit = JSON.stringify({ chatkit: { rollout_percent: 100, allow_users: [], deny_users: [] } });

    if (sections.has('http') || sections.has('streams')) {
      const proxy = spawnChild('node proxy', tsx, [join(root, 'tests/bench/servers/node-proxy.ts')], {
        cwd: root,
        env: {
          ...process.env,
          BENCH_PROXY_PORT: String(proxyPort),
          BENCH_ORIGIN_URL: originUrl,
          BENCH_JWKS_URL: `${originUrl}/api/auth/jwks`,
          BENCH_ISSUER: originUrl,
          BENCH_AUDIENCE: originUrl,
        },
      });
      children.push(proxy);
      // Its access log goes to a file, as the worker's does (lib/workerd.ts).
      const sameWork = spawnChild(
        'node proxy, same work',
        '/bin/sh',
        ['-c', 'exec "$0" "$1" >"$2"', tsx, join(root, 'tests/bench/servers/node-proxy-same-work.ts'), join(tmp, 'node-proxy-same-work.log')],
        {
          cwd: root,
          env: {
            ...process.env,
            BENCH_PROXY_PORT: String(sameWorkPort),
            BENCH_ORIGIN_URL: originUrl,
            BENCH_JWKS_URL: `${originUrl}/api/auth/jwks`,
            BENCH_ISSUER: originUrl,
            BENCH_AUDIENCE: originUrl,
            BENCH_RATE_LIMIT_API: unlimited,
          },
        },
      );
      children.push(sameWork);
      // ChatKit for everyone, as `npm run dev` seeds it (POST /api/chatkit answers 403
      // chatkit_disabled to users the flags keep on the legacy chat). Seeded before the workers start.
      const workerState = join(tmp, 'worker-state');
      await new WranglerKv({ location: 'local', cwd: root, persistTo: workerState }).put(KV_KEY_FLAGS, everyoneOnChatkit);
      const assetsArgs = existsSync(join(root, 'dist/web/index.html')) ? [] : ['--assets', spaOut];

      // The primary worker target: the exact bundle `wrangler deploy` would upload, served by plain
      // workerd (lib/workerd.ts). Beside it, run the same way, the minimal pass-through worker (the
      // runtime's floor). Miniflare (with its entry worker) on the same bundle is a reference row.
      const bundleFile = await ensureBundle();
      const [plainPort, floorPort, primitivesPort, mfPort] = [await getFreePort(), await getFreePort(), await getFreePort(), await getFreePort()];
      const workerVars = devVars(vars);
      const plain = startWorkerd(
        root,
        {
          ...workerdBase(workerVars),
          dir: join(tmp, 'workerd-app'),
          port: plainPort,
          module: { file: bundleFile },
          appBindings: { flags: { [KV_KEY_FLAGS]: everyoneOnChatkit } },
        },
        'worker (plain workerd)',
      );
      const floor = startWorkerd(
        root,
        { ...workerdBase({ ORIGIN_URL: originUrl }), dir: join(tmp, 'workerd-floor'), port: floorPort, module: { source: FLOOR_WORKER } },
        'floor worker (plain workerd)',
      );
      // The floor plus the per-request primitives of a proxy worker (lib/workerd.ts): splits
      // "worker ÷ floor" into the runtime's price of those and what the worker's own code adds.
      const primitives = startWorkerd(
        root,
        { ...workerdBase({ ORIGIN_URL: originUrl }), dir: join(tmp, 'workerd-primitives'), port: primitivesPort, module: { source: PRIMITIVES_WORKER } },
        'primitives worker (plain workerd)',
      );
      children.push(plain.child, floor.child, primitives.child);
      const miniflareChild = spawnChild('worker (Miniflare)', tsx, [join(root, 'tests/bench/servers/worker-miniflare.ts')], {
        cwd: root,
        env: {
          ...process.env,
          BENCH_ROOT: root,
          BENCH_BUNDLE: bundleFile,
          BENCH_WORKER_PORT: String(mfPort),
          BENCH_WORKER_VARS: JSON.stringify(vars),
          BENCH_FLAGS_KEY: KV_KEY_FLAGS,
          BENCH_FLAGS_JSON: everyoneOnChatkit,
          WRANGLER_SEND_METRICS: 'false',
        },
      });
      children.push(miniflareChild);
      const miniflareUrl = `http://127.0.0.1:${mfPort}`;
      const workerStarted = Date.now();
      const [, , , , , , running] = await Promise.all([
        waitForHttp(`${plain.url}/healthz`, plain.child, 'the worker under plain workerd', 60_000),
        waitForHttp(`${floor.url}/healthz`, floor.child, 'the floor worker', 60_000),
        waitForHttp(`${primitives.url}/healthz`, primitives.child, 'the primitives worker', 60_000),
        waitForHttp(`http://127.0.0.1:${proxyPort}/healthz`, proxy, 'the Node proxy', 30_000),
        waitForHttp(`http://127.0.0.1:${sameWorkPort}/healthz`, sameWork, 'the same-work Node proxy', 30_000),
        (async () => {
          await waitForHttp(`${miniflareUrl}/healthz`, miniflareChild, 'the worker under Miniflare', 60_000);
          // "ready" is printed once KV is seeded.
          const deadline = Date.now() + 10_000;
          while (!miniflareChild.logs().includes(' ready on ')) {
            if (Date.now() > deadline) throw new Error(`Miniflare answered but never reported ready:\n${miniflareChild.logs()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        })(),
        startWranglerDev({ root, port: workerPort, persistTo: workerState, vars, logLevel: wranglerLogLevel, extraArgs: assetsArgs }),
      ]);
      const worker = running;
      live.worker = worker;
      const proxyUrl = `http://127.0.0.1:${proxyPort}`;
      const sameWorkUrl = `http://127.0.0.1:${sameWorkPort}`;
      log(
        `  origin ${originUrl}  ·  worker (plain workerd) ${plain.url}  ·  floor ${floor.url}  ·  node proxy ${proxyUrl}  ·  same-work node proxy ${sameWorkUrl}` +
          `  ·  Miniflare ${miniflareUrl}  ·  wrangler dev ${worker.url} (all ready in ${Date.now() - workerStarted} ms)`,
      );

      // Same job, checked: every target answers the same body, and every proxy hands the origin the
      // verified user (the fast origin's /api/v1/whoami echoes X-User-Id) and refuses a missing token.
      const expectedBody = await (await fetch(`${originUrl}/api/v1/tasks`, { headers: bearer })).text();
      const check = async (name: string, base: string, authenticates = true): Promise<string | null> => {
        const res = await fetch(`${base}/api/v1/tasks`, { headers: { authorization: `Bearer ${tokens[tokens.length - 1]}` } });
        const body = await res.text();
        if (res.status !== 200 || body !== expectedBody) return `${name} answered ${res.status}: ${body.slice(0, 300)}`;
        if (!authenticates) return null;
        const who = await fetch(`${base}/api/v1/whoami`, { headers: { ...bearer, 'x-user-id': 'forged' } });
        const seen = (await who.json()) as { x_user_id?: string };
        if (seen.x_user_id !== firstUser) return `${name} forwarded X-User-Id ${JSON.stringify(seen.x_user_id)}, expected "${firstUser}"`;
        const noToken = await fetch(`${base}/api/v1/tasks`);
        await noToken.body?.cancel();
        if (noToken.status !== 401) return `${name} answered ${noToken.status} without a token`;
        return null;
      };
      for (const [name, base, authenticates] of [
        ['worker (plain workerd)', plain.url, true],
        ['floor worker', floor.url, false],
        ['primitives worker', primitives.url, false],
        ['worker (Miniflare)', miniflareUrl, true],
        ['worker (wrangler dev)', worker.url, true],
        ['node-proxy', proxyUrl, true],
        ['node-proxy, same work', sameWorkUrl, true],
      ] as const) {
        const problem = await check(name, base, authenticates);
        if (problem) throw new Error(`${problem}\n${plain.child.logs()}\n${miniflareChild.logs()}\n${sameWork.logs()}`);
      }
      // The same-work proxy really does the worker's work: limiter headers, security headers, request id.
      const sameWorkHeaders = (await fetch(`${sameWorkUrl}/api/v1/tasks`, { headers: bearer })).headers;
      for (const name of ['ratelimit-remaining', 'x-content-type-options', 'x-request-id']) {
        if (!sameWorkHeaders.has(name)) throw new Error(`the same-work Node proxy sent no ${name}`);
      }
      report.workerPrimary = 'workerd';
      log(
        '  checked: same body from every target, X-User-Id = the verified sub through every proxy, 401 without a token; primary worker row = plain workerd on the deploy bundle',
      );
      const tasks = '/api/v1/tasks';

      if (sections.has('http')) {
        const loadTargets: Target[] = [
          { name: 'direct', url: `${originUrl}${tasks}` },
          { name: 'worker', url: `${plain.url}${tasks}` },
          { name: 'floor', url: `${floor.url}${tasks}` },
          { name: 'primitives', url: `${primitives.url}${tasks}` },
          { name: 'node-proxy', url: `${proxyUrl}${tasks}` },
          { name: 'node-proxy-same-work', url: `${sameWorkUrl}${tasks}` },
          { name: 'worker-miniflare', url: `${miniflareUrl}${tasks}` },
          { name: 'wrangler-dev', url: `${worker.url}${tasks}`, onlyAt: [1, 16] },
          // Every cache's best case, reported apart: one user, one token.
          ...(['worker', 'node-proxy', 'node-proxy-same-work'] as const).map((name) => ({
            name: `${name}-1token`,
            url: { worker: plain.url, 'node-proxy': proxyUrl, 'node-proxy-same-work': sameWorkUrl }[name] + tasks,
            onlyAt: [16],
            tokens: [token],
          })),
        ];
        section(
          `GET /api/v1/tasks under load (autocannon; ${tokens.length} users round-robin; c = ${settings.concurrencies.join(', ')}; ${settings.rounds} round(s) × ${settings.durationS} s per target, interleaved; median reported)`,
        );
        // Where the CPU goes: every process of the servers, by process group.
        const groups = new Map<number, string>([
          [origin.process.pid!, 'origin'],
          [proxy.process.pid!, 'node-proxy'],
          [sameWork.process.pid!, 'same-work'],
          [plain.child.process.pid!, 'workerd'],
          [floor.child.process.pid!, 'floor'],
          [primitives.child.process.pid!, 'primitives'],
          [worker.child.process.pid!, 'wrangler'],
          [miniflareChild.process.pid!, 'miniflare'],
        ]);
        const workerEntry = `entry=127.0.0.1:${workerPort} `;
        const cpuSnapshot = () =>
          snapshotCpu(groups, (prefix, cmdline) => {
            if (prefix === 'origin') return 'origin (node)';
            if (prefix === 'node-proxy') return 'node-proxy (node)';
            if (prefix === 'same-work') return 'node-proxy-same-work (node)';
            if (prefix === 'workerd') return 'worker: workerd';
            if (prefix === 'floor') return 'floor: workerd';
            if (prefix === 'primitives') return 'primitives: workerd';
            if (prefix === 'miniflare')
              return cmdline.includes('workerd') ? 'miniflare: workerd' : cmdline.includes('worker-miniflare') ? 'miniflare: node' : 'miniflare: other';
            if (cmdline.includes('workerd')) return cmdline.includes(workerEntry) ? 'wrangler dev: proxy workerd' : 'wrangler dev: worker workerd';
            if (cmdline.includes('wrangler-dist/cli.js')) return 'wrangler dev: node';
            return 'wrangler dev: other';
          });
        const { cells, order } = await runLoad({
          cpuSnapshot,
          originStatsUrl: `${originUrl}/__stats`,
          targets: loadTargets,
          headers: {},
          tokens,
          concurrencies: settings.concurrencies,
          rounds: settings.rounds,
          durationS: settings.durationS,
          warmupS: settings.warmupS,
          log,
        });
        report.http = { users: tokens.length, cells, order, ratios: ratios(cells) };
        report.notes.push(`access-log lines written by the plain workerd worker during the run: ${plain.logLines()}`);
      }

      if (sections.has('streams')) {
        const { events, intervalMs, runs } = settings.sse;
        section(`SSE: ${events} events every ${intervalMs} ms, time to first and last event (concurrency 1, median of ${runs})`);
        const path = `/api/v1/stream?n=${events}&interval_ms=${intervalMs}`;
        const isTick = (e: SseEvent) => e.event === 'tick';
        const isLastTick = (e: SseEvent) => e.event === 'tick' && (JSON.parse(e.data) as { i: number }).i === events - 1;
        const sseSpec = (name: string, base: string) =>
          ({ name, url: `${base}${path}`, method: 'GET', headers: { ...bearer, accept: 'text/event-stream' }, isFirst: isTick, isLast: isLastTick }) as const;
        // The reference rows run as a group of their own: a wrangler dev turn leaves its Node process
        // busy relaying logs for a while, which would land on whichever target ran next.
        const [sseDirect, ssePlain, sseFloor] = await compareStreams(
          [sseSpec('direct', originUrl), sseSpec('worker (plain workerd)', plain.url), sseSpec('floor (pass-through worker)', floor.url)],
          runs,
          log,
        );
        const [sseMiniflare, sseDev] = await compareStreams(
          [sseSpec('worker (Miniflare)', miniflareUrl), sseSpec('worker (wrangler dev)', worker.url)],
          runs,
          log,
        );
        report.sse = {
          events,
          intervalMs,
          direct: sseDirect!,
          worker: ssePlain!,
          floor: sseFloor!,
          workerMiniflare: sseMiniflare!,
          workerWranglerDev: sseDev!,
        };

        const chat = settings.chat;
        section(
          `ChatKit: first text_delta via POST /api/chatkit vs first delta of the origin's POST /api/v1/chat (${chat.deltas} deltas every ${chat.intervalMs} ms, median of ${chat.runs})`,
        );
        const chatkitBody = JSON.stringify({
          type: 'threads.create',
          params: { input: { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } },
        });
        const parseData = (e: SseEvent): { type?: string; update?: { type?: string }; item?: { type?: string } } => {
          try {
            return JSON.parse(e.data) as { type?: string };
          } catch {
            return {};
          }
        };
        const chatkitSpec = (name: string, base: string): StreamSpec => ({
          name,
          url: `${base}/api/chatkit`,
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: chatkitBody,
          isFirst: (e) => {
            const data = parseData(e);
            return data.type === 'thread.item.updated' && data.update?.type === 'assistant_message.content_part.text_delta';
          },
          isLast: (e) => {
            const data = parseData(e);
            return data.type === 'thread.item.done' && data.item?.type === 'assistant_message';
          },
        });
        const originChat = (name: string, base: string, headers: Record<string, string>): StreamSpec => ({
          name,
          url: `${base}/api/v1/chat`,
          method: 'POST',
          headers: { ...bearer, ...headers, accept: 'text/event-stream', 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'hi' }),
          isFirst: (e) => e.event === 'delta',
          isLast: (e) => e.event === 'done',
        });
        const [chatOrigin, chatPlain, chatPassThrough] = await compareStreams(
          [
            originChat('origin /api/v1/chat', originUrl, { 'x-user-id': firstUser }),
            chatkitSpec('worker /api/chatkit (plain workerd)', plain.url),
            // The same origin stream through the worker's plain SSE pass-through (/api/v1/chat):
            // what the ChatKit adapter adds on top of proxying is the difference.
            originChat('worker /api/v1/chat pass-through (plain workerd)', plain.url, {}),
          ],
          chat.runs,
          log,
        );
        const [chatMiniflare, chatDev] = await compareStreams(
          [chatkitSpec('worker /api/chatkit (Miniflare)', miniflareUrl), chatkitSpec('worker /api/chatkit (wrangler dev)', worker.url)],
          chat.runs,
          log,
        );
        report.chatkit = {
          deltas: chat.deltas,
          intervalMs: chat.intervalMs,
          origin: chatOrigin!,
          worker: chatPlain!,
          workerPassThrough: chatPassThrough!,
          workerMiniflare: chatMiniflare!,
          workerWranglerDev: chatDev!,
        };
      }

      await worker.stop();
      live.worker = null;
      await Promise.all([proxy.stop(), sameWork.stop(), plain.child.stop(), floor.child.stop(), primitives.child.stop(), miniflareChild.stop()]);
    }

    if (sections.has('profile')) {
      const { durationS, chatTurns } = settings.profile;
      section(
        `CPU profile of the worker in plain workerd (unminified deploy build, inspector on; ${durationS} s of GET /api/v1/tasks from ${tokens.length} users, then ${chatTurns} ChatKit turns)`,
      );
      try {
        const assetsDir = existsSync(join(root, 'dist/web/index.html')) ? join(root, 'dist/web') : spaOut;
        const bundleFile = await buildWorkerBundle(root, join(tmp, 'worker-bundle-unminified'), assetsDir, ['--no-minify']);
        const flagsOnly = { flags: { [KV_KEY_FLAGS]: everyoneOnChatkit } };
        report.profile = await profileWorker({
          root,
          bundleFile,
          spec: { ...workerdBase(devVars(vars)), appBindings: flagsOnly },
          dir: join(tmp, 'workerd-profile'),
          port: await getFreePort(),
          inspectorPort: await getFreePort(),
          tokens,
          durationS,
          chatTurns,
          log,
        });
      } catch (err) {
        report.notes.push(`profile not taken: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        log(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
    }

    if (sections.has('coldstart')) {
      const { runs } = settings.coldStart;
      section(`Cold start: a fresh workerd process per run, spawn → first response (median of ${runs}; the empty worker is workerd's own start-up)`);
      const bundleFile = await ensureBundle();
      const port = await getFreePort();
      const measure = async (name: string, spec: Omit<WorkerdSpec, 'dir' | 'port'>, path: string): Promise<ColdStartRow> => {
        const samples: ColdStart[] = [];
        for (let i = 0; i < runs; i++) samples.push(await coldStart(root, { ...spec, dir: join(tmp, `cold-${name}`), port }, path));
        const row = {
          name,
          path,
          firstResponseMs: round(median(samples.map((s) => s.firstResponseMs)), 2),
          cpuMs: round(median(samples.map((s) => s.cpuMs)), 2),
          statuses: [...new Set(samples.map((s) => s.status))],
          samples: samples.map((s) => ({ firstResponseMs: round(s.firstResponseMs, 2), cpuMs: round(s.cpuMs, 2) })),
        };
        log(`  ${name.padEnd(28)} first response ${row.firstResponseMs} ms, workerd CPU ${row.cpuMs} ms (status ${row.statuses.join('/')})`);
        return row;
      };
      const empty = await measure('empty worker', { ...workerdBase({}), module: { source: EMPTY_WORKER } }, '/');
      const app = await measure(
        'worker bundle, GET /healthz',
        { ...workerdBase(devVars(vars)), module: { file: bundleFile }, appBindings: { flags: { [KV_KEY_FLAGS]: everyoneOnChatkit } } },
        '/healthz',
      );
      report.coldStart = {
        runs,
        empty,
        worker: app,
        addedFirstResponseMs: round(app.firstResponseMs - empty.firstResponseMs, 2),
        addedCpuMs: round(app.cpuMs - empty.cpuMs, 2),
      };
    }

    if (sections.has('micro')) {
      section(
        `Micro-benchmarks inside workerd (tests/bench/micro/bench-worker.ts under wrangler dev, then with the inspector off; ${settings.micro.samples} sample(s) of ≥ ${settings.micro.minMs} ms each)`,
      );
      report.micro = await runMicro({
        root,
        tmp,
        vars,
        token,
        minMs: settings.micro.minMs,
        samples: settings.micro.samples,
        logLevel: wranglerLogLevel,
        log,
      });
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('\nbenchmark failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
