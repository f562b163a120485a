import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Every child the benchmark starts, each the leader of its own process group (so workerd under
 * wrangler, or a tsx loader's node child, goes down with it). Stopped explicitly by the harness;
 * the `exit` hook below is the safety net for a crash or Ctrl-C.
 */
const children = new Set<ChildProcess>();
/** Synchronous clean-ups (temporary folders) that must run however the process ends. */
const exitCleanups: (() => void)[] = [];
let hooksInstalled = false;

/** Runs `cleanup` when the process exits, also after Ctrl-C or a crash (must be synchronous). */
export function onExit(cleanup: () => void): void {
  installHooks();
  exitCleanups.push(cleanup);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL needs no waiting.
  process.once('exit', () => {
    for (const child of children) killGroup(child, 'SIGKILL');
    for (const cleanup of exitCleanups) {
      try {
        cleanup();
      } catch {
        /* best effort */
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n[bench] ${signal}: stopping everything it started…`);
      for (const child of children) killGroup(child, 'SIGTERM');
      setTimeout(() => process.exit(130), 1_500).unref();
    });
  }
}

export interface Child {
  process: ChildProcess;
  /** The last ~64 KB of stdout + stderr, for failure reports. */
  logs(): string;
  stop(): Promise<void>;
}

/** Spawns `command` in its own process group with its output kept in a small ring buffer. */
export function spawnChild(label: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  installHooks();
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 128_000) output = output.slice(-64_000);
    });
  }
  child.once('exit', () => children.delete(child));
  const stop = (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      children.delete(child);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        // The leader is gone; make sure nothing else of its group is left (workerd, esbuild).
        killGroup(child, 'SIGKILL');
        children.delete(child);
        resolve();
      });
      // The leader first (wrangler's and tsx's launchers forward it to their real process, which
      // then shuts its own children down and reaps them); the whole group only if that stalls.
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        killGroup(child, 'SIGTERM');
      }
    });
  };
  return { process: child, logs: () => `[${label}]\n${output.slice(-8_000)}`, stop };
}

/** Polls `url` until it answers below 500, or throws with the child's logs. */
export async function waitForHttp(url: string, child: Child, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${what} exited with code ${child.process.exitCode}:\n${child.logs()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms:\n${child.logs()}`);
}
