import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devOpsFile } from '../flags/ops-client';

/**
 * The local stack: the reference origin (Node) and the worker under `wrangler dev` (workerd,
 * local KV, local Durable Objects, the built SPA as static assets). Used by `npm run dev`, the
 * end-to-end tests and the benchmark, so all three run the same thing.
 */

export interface StackOptions {
  root: string;
  port: number;
  originPort: number;
  /** Use this origin instead of starting the reference one (`ORIGIN_URL` for `npm run dev`). */
  externalOriginUrl?: string;
  /** Local state folder (KV, Durable Objects); tests use a throwaway one. */
  persistTo?: string;
  /** Extra `--var NAME:value` overrides for the worker. */
  vars?: Record<string, string>;
  /** Extra environment for the reference origin. */
  originEnv?: Record<string, string>;
  /** Pipe children's output to this process (dev) or keep it for failure reports (tests). */
  inheritOutput?: boolean;
  /**
   * Run the worker's Cron Trigger (the rollout guard) this often, as production does every
   * minute: `wrangler dev` never fires crons by itself, so a timer calls its scheduled handler.
   */
  guardEveryMs?: number;
}

export interface RunningStack {
  workerUrl: string;
  originUrl: string;
  /** The generated `OPS_TOKEN` of this worker (also in `<state dir>/dev-ops.json` for the ops command). */
  opsToken: string;
  /** Output of both children so far (tests print it when something fails). */
  logs(): string;
  stop(): Promise<void>;
}

function bin(root: string, name: string): string {
  return join(root, 'node_modules', '.bin', name);
}

/** `.dev.vars` holds local secrets; a newcomer gets the example's embedded defaults. */
export function ensureDevVars(root: string): boolean {
  const target = join(root, '.dev.vars');
  if (existsSync(target)) return false;
  copyFileSync(join(root, '.dev.vars.example'), target);
  return true;
}

async function waitForHttp(url: string, child: ChildProcess, what: string, logs: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}:\n${logs().slice(-4000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms:\n${logs().slice(-4000)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      // Each child leads its own process group, so workerd under wrangler goes too.
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { root } = options;
  let output = '';
  const children: ChildProcess[] = [];
  const track = (child: ChildProcess, label: string) => {
    children.push(child);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        output += text.replace(/^/gm, `[${label}] `);
        if (output.length > 400_000) output = output.slice(-200_000);
        if (options.inheritOutput) process.stdout.write(text.replace(/^(?=.)/gm, `[${label}] `));
      });
    }
  };
  const logs = () => output;
  let guardTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(guardTimer);
    await Promise.all(children.map(stopChild));
  };

  try {
    let originUrl = options.externalOriginUrl;
    if (!originUrl) {
      originUrl = `http://127.0.0.1:${options.originPort}`;
      const origin = spawn(bin(root, 'tsx'), [join(root, 'origin/main.ts')], {
        cwd: root,
        detached: true,
        env: {
          ...process.env,
          ORIGIN_PORT: String(options.originPort),
          PUBLIC_URL: `http://127.0.0.1:${options.port},http://localhost:${options.port}`,
          ...options.originEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      track(origin, 'origin');
      await waitForHttp(`${originUrl}/api/auth/ok`, origin, 'the reference origin', logs);
    }

    // A fresh ops secret per run, so `npm run flags -- guard | report --local` can reach the
    // ops routes; written (git-ignored) where the ops command looks for it.
    const opsToken = options.vars?.OPS_TOKEN ?? randomBytes(32).toString('hex');
    const vars: Record<string, string> = {
      OPS_TOKEN: opsToken,
      ORIGIN_URL: originUrl,
      JWT_JWKS_URL: `${originUrl}/api/auth/jwks`,
      JWT_ISSUER: originUrl,
      JWT_AUDIENCE: originUrl,
      ALLOWED_ORIGINS: `http://127.0.0.1:${options.port},http://localhost:${options.port}`,
      ...options.vars,
    };
    const args = [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--inspector-port',
      '0',
      '--show-interactive-dev-session=false',
      '--log-level',
      'info',
    ];
    for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
    if (options.persistTo) args.push('--persist-to', options.persistTo);
    // `/__scheduled` runs the worker's `scheduled` handler (wrangler's own `/cdn-cgi/handler/scheduled`
    // fails in front of a worker with static assets); dev only, never deployed.
    if (options.guardEveryMs) args.push('--test-scheduled');
    const worker = spawn(bin(root, 'wrangler'), args, {
      cwd: root,
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(worker, 'worker');
    const workerUrl = `http://127.0.0.1:${options.port}`;
    await waitForHttp(`${workerUrl}/healthz`, worker, 'wrangler dev', logs);
    const opsFile = devOpsFile(root, options.persistTo);
    mkdirSync(join(opsFile, '..'), { recursive: true });
    writeFileSync(opsFile, JSON.stringify({ url: workerUrl, token: opsToken }), { mode: 0o600 });
    if (options.guardEveryMs) {
      guardTimer = setInterval(() => {
        fetch(`${workerUrl}/__scheduled?cron=${encodeURIComponent('* * * * *')}`, { signal: AbortSignal.timeout(30_000) })
          .then((res) => res.body?.cancel())
          .catch(() => undefined);
      }, options.guardEveryMs);
      guardTimer.unref();
    }
    return { workerUrl, originUrl, opsToken, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
