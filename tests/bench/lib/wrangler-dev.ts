import { join } from 'node:path';
import { spawnChild, waitForHttp, type Child } from './processes';

/**
 * `wrangler dev` the way scripts/dev/stack.ts runs it for `npm run dev` and the end-to-end tests
 * (same flags, same build, local KV / Durable Objects / assets in workerd), except for the log
 * level: stack.ts passes `--log-level info`, which prints a line per request. Under load that is
 * thousands of lines a second through wrangler's Node process and into ours, which would bill the
 * worker for log shipping its production counterpart does not do in-line. So the benchmark asks
 * for `warn`; the worker's own `console.log` access-log lines are still produced inside workerd.
 */
export interface WranglerDevOptions {
  root: string;
  port: number;
  /** Another wrangler config (the micro-benchmark worker); default: the project's wrangler.toml. */
  config?: string;
  persistTo: string;
  vars?: Record<string, string>;
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  /** More `wrangler dev` arguments (e.g. `--assets <dir>` when dist/web has not been built). */
  extraArgs?: string[];
  /** Polled until it answers below 500. */
  readyPath?: string;
}

export interface RunningWorker {
  url: string;
  child: Child;
  stop(): Promise<void>;
}

export async function startWranglerDev(options: WranglerDevOptions): Promise<RunningWorker> {
  const args = ['dev'];
  if (options.config) args.push('--config', options.config);
  args.push(
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--inspector-port',
    '0',
    '--show-interactive-dev-session=false',
    '--log-level',
    options.logLevel ?? 'warn',
    '--persist-to',
    options.persistTo,
  );
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`);
  args.push(...(options.extraArgs ?? []));
  const child = spawnChild('wrangler dev', join(options.root, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: options.root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHttp(`${url}${options.readyPath ?? '/healthz'}`, child, 'wrangler dev', 120_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url, child, stop: () => child.stop() };
}
