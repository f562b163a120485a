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

/** The producer's side: it reports each chunk it hands on and, once, how the stream ended. */
export class StreamReport {
  private readonly watchers: StreamWatcher[] = [];
  private ended = false;

  watch(watcher: StreamWatcher): void {
    this.watchers.push(watcher);
  }

  chunk(chunk: Uint8Array): void {
    for (const watcher of this.watchers) {
      try {
        watcher.chunk(chunk);
      } catch {
        // A watcher never breaks the stream it watches.
      }
    }
  }

  end(how: StreamEnding): void {
    if (this.ended) return;
    this.ended = true;
    for (const watcher of this.watchers) {
      try {
        watcher.end(how);
      } catch {
        // As above.
      }
    }
  }
}

const reports = new WeakMap<ReadableStream<Uint8Array>, StreamReport>();

/** Marks `stream` as reporting through the returned `StreamReport` (its producer calls it). */
export function reportingStream(stream: ReadableStream<Uint8Array>): StreamReport {
  const report = new StreamReport();
  reports.set(stream, report);
  return report;
}

/** The report of a stream built with `reportingStream`, or undefined for any other stream. */
export function reportOf(stream: ReadableStream<Uint8Array>): StreamReport | undefined {
  return reports.get(stream);
}
