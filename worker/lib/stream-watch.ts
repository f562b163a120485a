/**
 * Streams the worker builds itself can tell watchers what passes through them and how they end,
 * so watching one (the rollout signals, worker/signals/observe-stream.ts) adds no stream layer
 * of its own: every JS stream between the origin and the browser is one more hop per chunk, and
 * in the bench each cost about 0.25 ms on an SSE answer's first event (README "Performance").
 */
export type StreamEnding = 'end' | 'broken' | 'cancelled';

export interface StreamWatcher {
  chunk(chunk: Uint8Array): void;
  end(how: StreamEnding): void;
}

/**
 * What came through before the watcher did, replayed to it (`replayEarly`). The ChatKit stream's
 * producer starts writing before the response reaches the signals middleware, but never far:
 * nothing is read from the stream before the response leaves the worker, so the producer stops at
 * its high-water mark (64 KB). Past this, the report gives up on a watcher, which then reads
 * through a layer of its own instead.
 */
const MAX_EARLY_BYTES = 256 * 1024;

function tell(call: () => void): void {
  try {
    call();
  } catch {
    // A watcher never breaks the stream it watches.
  }
}

/** The producer's side: it reports each chunk it hands on and, once, how the stream ended. */
export class StreamReport {
  private watcher: StreamWatcher | null = null;
  private early: Uint8Array[] | null;
  private earlyBytes = 0;
  private ending: StreamEnding | null = null;
  private overflowed = false;

  /**
   * `replayEarly`: keep what comes before the watcher, for a producer that writes before its
   * response reaches the middleware (the ChatKit stream). A stream read only on demand (the SSE
   * pass-through) produces nothing before that and keeps nothing.
   */
  constructor({ replayEarly = false }: { replayEarly?: boolean } = {}) {
    this.early = replayEarly ? [] : null;
  }

  /** Attaches the stream's one watcher and replays what came before it; false if it cannot see it all. */
  watch(watcher: StreamWatcher): boolean {
    if (this.watcher || this.overflowed) return false;
    for (const chunk of this.early ?? []) tell(() => watcher.chunk(chunk));
    this.early = null;
    this.watcher = watcher;
    const ending = this.ending;
    if (ending) tell(() => watcher.end(ending));
    return true;
  }

  chunk(chunk: Uint8Array): void {
    const watcher = this.watcher;
    if (watcher) return tell(() => watcher.chunk(chunk));
    if (!this.early) return;
    this.earlyBytes += chunk.byteLength;
    if (this.earlyBytes > MAX_EARLY_BYTES) {
      this.early = null;
      this.overflowed = true;
    } else this.early.push(chunk);
  }

  end(how: StreamEnding): void {
    if (this.ending) return;
    this.ending = how;
    const watcher = this.watcher;
    if (watcher) tell(() => watcher.end(how));
  }
}

const reports = new WeakMap<ReadableStream<Uint8Array>, StreamReport>();

/** Marks `stream` as reporting through `report`, which its producer calls. */
export function reportingStream(stream: ReadableStream<Uint8Array>, report: StreamReport): ReadableStream<Uint8Array> {
  reports.set(stream, report);
  return stream;
}

/** The report of a stream built with `reportingStream`, or undefined for any other stream. */
export function reportOf(stream: ReadableStream<Uint8Array>): StreamReport | undefined {
  return reports.get(stream);
}
