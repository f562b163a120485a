/**
 * `npm run bench` — what the edge costs, measured side by side in one run (README "Performance").
 *
 *   npm run bench                 full run (~5 min on 2 cores)
 *   npm run bench -- --quick      smoke run: concurrency 1 and 16, one short round, fewer samples (<60 s)
 *
 * Options: --quick, --only=http,streams,micro,sizes (any subset), --wrangler-log-level=<level>
 * (default warn; `info` is what scripts/dev/stack.ts passes and prints a line per request).
 *
 * It starts, all on 127.0.0.1: a minimal fast origin (tests/bench/servers/fast-origin.ts, its own
 * process), the primary worker target: the exact `wrangler deploy --dry-run` bundle run by Miniflare
 * (tests/bench/servers/worker-miniflare.ts; one workerd, no wrangler dev proxy worker, no inspector:
 * the closest local stand-in for production, which the ratios and targets use), the same worker
 * in workerd via `wrangler dev` for reference (the same build, runtime, local KV, Durable
 * Objects and assets that `npm run dev` uses, with a throwaway --persist-to), a plain Node reverse
 * proxy peer (tests/bench/servers/node-proxy.ts) and, as a diagnostic, the same worker with the
 * inspector off (tests/bench/servers/worker-no-inspector.ts). Then it measures, prints a table and
 * a markdown version, and writes tests/bench/results/latest.json (plus latest-full.json or
 * latest-quick.json, so a smoke run never overwrites the last full run). Every process it starts
 * is stopped before it exits, also on Ctrl-C. Nothing asserts on time: targets are reported only.
 * See tests/bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WranglerKv } from '../../scripts/flags/wrangler-kv';
import { readToolchain } from '../../scripts/toolchain';
import { KV_KEY_FLAGS } from '../../shared/flags';
import { getFreePort } from '../helpers/ports';
import { snapshotCpu } from './lib/cpu';
import { onExit, spawnChild, waitForHttp, type Child } from './lib/processes';
import { round } from './lib/stats';
import { createBenchKeys } from './lib/token';
import { startWranglerDev, type RunningWorker } from './lib/wrangler-dev';
import { runLoad } from './sections/http-load';
import { runMicro } from './sections/micro';
import { buildSpa, buildWorkerBundle, measureSpa, measureWorkerBundle, workerBundlePath, type SpaSizes, type WorkerBundle } from './sections/sizes';
import { compareStreams, type SseEvent, type StreamSpec } from './sections/streams';
import { evaluateTargets, printReport, ratios, type Report } from './report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const sections = new Set((onlyArg ?? 'http,streams,micro,sizes').split(',').map((s) => s.trim()));
const logLevelArg = args.find((a) => a.startsWith('--wrangler-log-level='))?.slice('--wrangler-log-level='.length);
const wranglerLogLevel = (logLevelArg ?? 'warn') as 'warn' | 'info' | 'error' | 'none';

const settings = quick
  ? {
      mode: 'quick' as const,
      concurrencies: [1, 16],
      rounds: 1,
      durationS: 1,
      warmupS: 0.5,
      sse: { events: 5, intervalMs: 20, runs: 3 },
      chat: { deltas: 4, intervalMs: 10, runs: 3 },
      micro: { minMs: 60, samples: 1 },
    }
  : {
      mode: 'full' as const,
      concurrencies: [1, 16, 64],
      rounds: 4,
      durationS: 3,
      warmupS: 2,
      sse: { events: 20, intervalMs: 10, runs: 9 },
      chat: { deltas: 8, intervalMs: 10, runs: 9 },
      micro: { minMs: 250, samples: 5 },
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
  console.log(`Calm Orbit Edge benchmark (${settings.mode}) — ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}, workerd ${machine.workerd}, wrangler ${machine.wrangler}`);
  console.log(`load average at start: ${machine.loadAverageAtStart.join(' ')}${machine.loadAverageAtStart[0]! > machine.cores * 0.5 ? '  (busy machine: expect noisy numbers)' : ''}`);

  const tmp = mkdtempSync(join(tmpdir(), 'calm-orbit-bench-'));
  onExit(() => rmSync(tmp, { recursive: true, force: true }));
  const spaOut = join(tmp, 'spa');
  const children: Child[] = [];
  /** The wrangler dev worker while it runs (stopped early, before the micro-benchmarks). */
  const live: { worker: RunningWorker | null } = { worker: null };
  const report: Report = {
    version: 1,
    mode: settings.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine,
    settings: { ...settings, wranglerLogLevel, sections: [...sections] },
    notes: [],
    http: null,
    sse: null,
    chatkit: null,
    micro: null,
    sizes: null,
  };

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

    const needServers = sections.has('http') || sections.has('streams') || sections.has('micro');
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
    section('Starting the fast origin, the Node proxy and the worker (Miniflare on the deploy bundle; wrangler dev; wrangler dev with the inspector off)');
    const keys = await createBenchKeys();
    const [originPort, proxyPort, workerPort] = [await getFreePort(), await getFreePort(), await getFreePort()];
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
    const token = await keys.sign({ sub: 'bench-user', issuer: originUrl, audience: originUrl });
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
      // ChatKit for everyone, as `npm run dev` seeds it (POST /api/chatkit answers 403
      // chatkit_disabled to users the flags keep on the legacy chat). Seeded before the workers start.
      const workerState = join(tmp, 'worker-state');
      const quietState = join(tmp, 'quiet-worker-state');
      const everyoneOnChatkit = JSON.stringify({ chatkit: { rollout_percent: 100, allow_users: [], deny_users: [] } });
      await Promise.all(
        [workerState, quietState].map((persistTo) => new WranglerKv({ location: 'local', cwd: root, persistTo }).put(KV_KEY_FLAGS, everyoneOnChatkit)),
      );
      const assetsArgs = existsSync(join(root, 'dist/web/index.html')) ? [] : ['--assets', spaOut];

      // The primary worker target: the exact bundle `wrangler deploy` would upload, run by Miniflare
      // (one workerd, no wrangler dev proxy worker, no inspector). Built here when the sizes section
      // did not already build it. Any failure falls back to wrangler dev as the primary row, noted.
      const miniflare: { child: Child | null; url: string | null } = { child: null, url: null };
      const fallBack = async (why: string) => {
        report.notes.push(`worker (Miniflare, built bundle) not used, wrangler dev is the primary worker row: ${why.split('\n')[0]}`);
        log(`  Miniflare target FAILED, falling back to wrangler dev as the primary worker: ${why}`);
        await miniflare.child?.stop().catch(() => undefined);
        miniflare.child = null;
        miniflare.url = null;
      };
      const startMiniflare = async (): Promise<void> => {
        try {
          let bundleFile = workerBundlePath(tmp);
          if (!existsSync(bundleFile)) {
            const assetsDir = existsSync(join(root, 'dist/web/index.html')) ? join(root, 'dist/web') : spaOut;
            bundleFile = await buildWorkerBundle(root, join(tmp, 'worker-bundle'), assetsDir);
          }
          const mfPort = await getFreePort();
          const child = spawnChild('worker (Miniflare)', tsx, [join(root, 'tests/bench/servers/worker-miniflare.ts')], {
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
          children.push(child);
          miniflare.child = child;
          const url = `http://127.0.0.1:${mfPort}`;
          await waitForHttp(`${url}/healthz`, child, 'the worker under Miniflare', 60_000);
          // "ready" is printed once KV is seeded.
          const deadline = Date.now() + 10_000;
          while (!child.logs().includes(' ready on ')) {
            if (Date.now() > deadline) throw new Error(`Miniflare answered but never reported ready:\n${child.logs()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          miniflare.url = url;
        } catch (err) {
          await fallBack(err instanceof Error ? err.message : String(err));
        }
      };

      // Diagnostic peer: the same worker through wrangler's dev server with the inspector off.
      const quietPort = await getFreePort();
      const quiet = spawnChild('worker, inspector off', tsx, [join(root, 'tests/bench/servers/worker-no-inspector.ts')], {
        cwd: root,
        env: {
          ...process.env,
          BENCH_ROOT: root,
          BENCH_WORKER_PORT: String(quietPort),
          BENCH_PERSIST_TO: quietState,
          BENCH_WORKER_VARS: JSON.stringify(vars),
          BENCH_ASSETS: assetsArgs[1] ?? '',
          WRANGLER_SEND_METRICS: 'false',
        },
      });
      children.push(quiet);
      const quietUrl = `http://127.0.0.1:${quietPort}`;
      const workerStarted = Date.now();
      const [, , running] = await Promise.all([
        waitForHttp(`${quietUrl}/healthz`, quiet, 'the worker with the inspector off', 120_000),
        waitForHttp(`http://127.0.0.1:${proxyPort}/healthz`, proxy, 'the Node proxy', 30_000),
        startWranglerDev({ root, port: workerPort, persistTo: workerState, vars, logLevel: wranglerLogLevel, extraArgs: assetsArgs }),
        startMiniflare(),
      ]);
      const worker = running;
      live.worker = worker;
      log(
        `  origin ${originUrl}  ·  node proxy http://127.0.0.1:${proxyPort}  ·  worker (wrangler dev) ${worker.url} (ready in ${Date.now() - workerStarted} ms)` +
          (miniflare.url ? `  ·  worker (Miniflare, built bundle) ${miniflare.url}` : ''),
      );

      // Same job, checked: every target answers the same body, and every proxy hands the origin the
      // verified user (the fast origin's /api/v1/whoami echoes X-User-Id).
      const check = async (name: string, base: string, viaProxy = true): Promise<string | null> => {
        const res = await fetch(`${base}/api/v1/tasks`, { headers: bearer });
        const body = await res.text();
        if (res.status !== 200 || body !== expectedBody) return `${name} answered ${res.status}: ${body.slice(0, 300)}`;
        if (!viaProxy) return null;
        const who = await fetch(`${base}/api/v1/whoami`, { headers: { ...bearer, 'x-user-id': 'forged' } });
        const seen = (await who.json()) as { x_user_id?: string };
        if (seen.x_user_id !== 'bench-user') return `${name} forwarded X-User-Id ${JSON.stringify(seen.x_user_id)}, expected "bench-user"`;
        const noToken = await fetch(`${base}/api/v1/tasks`);
        await noToken.body?.cancel();
        if (noToken.status !== 401) return `${name} answered ${noToken.status} without a token`;
        return null;
      };
      const expectedBody = await (await fetch(`${originUrl}/api/v1/tasks`, { headers: bearer })).text();
      for (const [name, base] of [
        ['worker (wrangler dev)', worker.url],
        ['worker-noinsp', quietUrl],
        ['node-proxy', `http://127.0.0.1:${proxyPort}`],
      ] as const) {
        const problem = await check(name, base, name !== 'node-proxy');
        if (problem) throw new Error(`${problem}\n${worker.child.logs()}\n${quiet.logs()}`);
      }
      const proxyWhoami = (await (await fetch(`http://127.0.0.1:${proxyPort}/api/v1/whoami`, { headers: { ...bearer, 'x-user-id': 'forged' } })).json()) as { x_user_id?: string };
      if (proxyWhoami.x_user_id !== 'bench-user') throw new Error(`the Node proxy forwarded X-User-Id ${JSON.stringify(proxyWhoami.x_user_id)}, expected "bench-user"`);
      if (miniflare.url) {
        const problem = await check('worker (Miniflare)', miniflare.url);
        if (problem) await fallBack(`${problem}\n${miniflare.child?.logs() ?? ''}`);
      }
      report.workerPrimary = miniflare.url ? 'miniflare' : 'wrangler-dev';
      const primaryUrl = miniflare.url ?? worker.url;
      log(
        '  checked: same body from every target, X-User-Id = the verified sub through every proxy, 401 without a token' +
          `; primary worker row = ${miniflare.url ? 'Miniflare on the deploy bundle' : 'wrangler dev'}`,
      );
      const targets = [
        { name: 'direct', url: `${originUrl}/api/v1/tasks` },
        { name: 'worker', url: `${primaryUrl}/api/v1/tasks` },
        { name: 'node-proxy', url: `http://127.0.0.1:${proxyPort}/api/v1/tasks` },
      ];

      if (sections.has('http')) {
        // Diagnostic row: the same wrangler dev stack answering without auth, limiter or origin.
        const loadTargets = [
          ...targets,
          ...(miniflare.url ? [{ name: 'wrangler-dev', url: `${worker.url}/api/v1/tasks` }] : []),
          { name: 'worker-noinsp', url: `${quietUrl}/api/v1/tasks` },
          { name: 'worker-healthz', url: `${primaryUrl}/healthz`, onlyAt: [1] },
        ];
        section(
          `GET /api/v1/tasks under load (autocannon; c = ${settings.concurrencies.join(', ')}; ${settings.rounds} round(s) × ${settings.durationS} s per target, interleaved; median reported)`,
        );
        // Where the CPU goes: every process of the three servers, by process group.
        const groups = new Map<number, string>([
          [origin.process.pid!, 'origin'],
          [proxy.process.pid!, 'node-proxy'],
          [worker.child.process.pid!, 'wrangler'],
          [quiet.process.pid!, 'quiet'],
          ...(miniflare.child ? [[miniflare.child.process.pid!, 'miniflare'] as [number, string]] : []),
        ]);
        const workerEntry = `entry=127.0.0.1:${workerPort} `;
        const cpuSnapshot = () =>
          snapshotCpu(groups, (prefix, cmdline) => {
            if (prefix === 'origin') return 'origin (node)';
            if (prefix === 'node-proxy') return 'node-proxy (node)';
            if (prefix === 'miniflare') return cmdline.includes('workerd') ? 'miniflare: workerd' : cmdline.includes('worker-miniflare') ? 'miniflare: node' : 'miniflare: other';
            const who = prefix === 'wrangler' ? 'wrangler dev' : 'inspector-off';
            const entry = prefix === 'wrangler' ? workerEntry : `entry=127.0.0.1:${quietPort} `;
            if (cmdline.includes('workerd')) return cmdline.includes(entry) ? `${who}: proxy workerd` : `${who}: worker workerd`;
            if (cmdline.includes('wrangler-dist/cli.js') || cmdline.includes('worker-no-inspector')) return `${who}: node`;
            return `${who}: other`;
          });
        const { cells, order } = await runLoad({
          cpuSnapshot,
          originStatsUrl: `${originUrl}/__stats`,
          targets: loadTargets,
          headers: bearer,
          concurrencies: settings.concurrencies,
          rounds: settings.rounds,
          durationS: settings.durationS,
          warmupS: settings.warmupS,
          log,
        });
        report.http = { cells, order, ratios: ratios(cells) };
      }

      if (sections.has('streams')) {
        const { events, intervalMs, runs } = settings.sse;
        section(`SSE: ${events} events every ${intervalMs} ms, time to first and last event (concurrency 1, median of ${runs})`);
        const path = `/api/v1/stream?n=${events}&interval_ms=${intervalMs}`;
        const isTick = (e: SseEvent) => e.event === 'tick';
        const isLastTick = (e: SseEvent) => e.event === 'tick' && (JSON.parse(e.data) as { i: number }).i === events - 1;
        const sseSpec = (name: string, base: string) =>
          ({ name, url: `${base}${path}`, method: 'GET', headers: { ...bearer, accept: 'text/event-stream' }, isFirst: isTick, isLast: isLastTick }) as const;
        const sseResults = await compareStreams(
          [
            sseSpec('direct', originUrl),
            sseSpec(miniflare.url ? 'worker (Miniflare)' : 'worker (wrangler dev)', primaryUrl),
            sseSpec('worker, inspector off', quietUrl),
            ...(miniflare.url ? [sseSpec('worker (wrangler dev)', worker.url)] : []),
          ],
          runs,
          log,
        );
        report.sse = {
          events,
          intervalMs,
          direct: sseResults[0]!,
          worker: sseResults[1]!,
          workerInspectorOff: sseResults[2]!,
          ...(miniflare.url ? { workerWranglerDev: sseResults[3]! } : {}),
        };

        const chat = settings.chat;
        section(`ChatKit: first text_delta via POST /api/chatkit vs first delta of the origin's POST /api/v1/chat (${chat.deltas} deltas every ${chat.intervalMs} ms, median of ${chat.runs})`);
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
        const chatResults = await compareStreams(
          [
            {
              name: 'origin /api/v1/chat',
              url: `${originUrl}/api/v1/chat`,
              method: 'POST',
              headers: { ...bearer, 'x-user-id': 'bench-user', accept: 'text/event-stream', 'content-type': 'application/json' },
              body: JSON.stringify({ message: 'hi' }),
              isFirst: (e) => e.event === 'delta',
              isLast: (e) => e.event === 'done',
            },
            chatkitSpec(`worker /api/chatkit (${miniflare.url ? 'Miniflare' : 'wrangler dev'})`, primaryUrl),
            chatkitSpec('worker, inspector off', quietUrl),
            ...(miniflare.url ? [chatkitSpec('worker /api/chatkit (wrangler dev)', worker.url)] : []),
          ],
          chat.runs,
          log,
        );
        report.chatkit = {
          deltas: chat.deltas,
          intervalMs: chat.intervalMs,
          origin: chatResults[0]!,
          worker: chatResults[1]!,
          workerInspectorOff: chatResults[2]!,
          ...(miniflare.url ? { workerWranglerDev: chatResults[3]! } : {}),
        };
      }

      await worker.stop();
      live.worker = null;
      await Promise.all([proxy.stop(), quiet.stop(), miniflare.child?.stop()]);
    }

    if (sections.has('micro')) {
      section(`Micro-benchmarks inside workerd (tests/bench/micro/bench-worker.ts under wrangler dev, then with the inspector off; ${settings.micro.samples} sample(s) of ≥ ${settings.micro.minMs} ms each)`);
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
    console.error('\nbenchmark failed:', err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
