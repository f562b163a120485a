/**
 * Starts a throwaway, non-persistent redis-server on loopback for tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { getFreePort } from '../helpers/ports';
import { waitFor } from '../helpers/wait';

const REDIS_SERVER = '/usr/bin/redis-server';
/**
 * setpriv (util-linux) makes the kernel SIGTERM redis-server when the process
 * that spawned it dies, even by SIGKILL, where no 'exit' handler gets to run.
 * (Strictly, when the spawning *thread* ends: the test worker's main thread in
 * vitest's default forks pool, the worker thread itself in the threads pool.)
 */
const SETPRIV = '/usr/bin/setpriv';

export interface RedisInstance {
  port: number;
  url: string;
  /** Graceful shutdown (SIGTERM, then SIGKILL after 5 s); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Simulates a crash: SIGKILL right now. Await `exited` before reusing the port. */
  kill(): void;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<void>;
}

export interface StartRedisOptions {
  /** Defaults to a free port; pass a previous instance's port to "restart" the same server address. */
  port?: number;
  /** How long to wait for the server to answer. */
  startTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; SIGKILL needs no waiting.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * One raw RESP round trip (no client library, so readiness does not depend on
 * ioredis's reconnect logic) returning the pid of the redis-server answering
 * on `port`. Comparing it with our child's pid guards against declaring
 * victory while some other server still holds the port.
 */
function pidAnsweringOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(500, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-')) return done(undefined); // e.g. -LOADING
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (match) done(Number(match[1]));
    });
  });
}

export async function startRedis({ port, startTimeoutMs = 10_000 }: StartRedisOptions = {}): Promise<RedisInstance> {
  const chosenPort = port ?? (await getFreePort());
  const redisArgs = ['--port', String(chosenPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const [command, args] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', REDIS_SERVER, ...redisArgs]] : [REDIS_SERVER, redisArgs];

  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  killAllOnExit();

  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      running.delete(child);
      resolve();
    });
    // A spawn failure emits 'error' and possibly no 'exit'.
    child.once('error', (error) => {
      collect(Buffer.from(String(error)));
      hasExited = true;
      running.delete(child);
      resolve();
    });
  });

  let startup: 'ready' | 'exited';
  try {
    startup = await waitFor(async () => (hasExited ? 'exited' : (await pidAnsweringOn(chosenPort)) === child.pid ? 'ready' : undefined), {
      timeoutMs: startTimeoutMs,
      intervalMs: 20,
      description: `redis-server answering on port ${chosenPort}`,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`startRedis: redis-server not answering on port ${chosenPort}. redis-server output:\n${output}`, { cause: error });
  }
  if (startup === 'exited') {
    // Typically "Address already in use" when the requested port is taken.
    throw new Error(`startRedis: redis-server exited during startup on port ${chosenPort}. Output:\n${output}`);
  }

  return {
    port: chosenPort,
    url: `redis://127.0.0.1:${chosenPort}`,
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
    stop: async () => {
      if (hasExited) return;
      child.kill('SIGTERM');
      const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forceKill);
    },
  };
}
