import type { ThreadStreamEvent } from '../../shared/chatkit';
import { reportingStream, StreamReport } from '../lib/stream-watch';

/**
 * Writing ChatKit's server-sent events (reading the origin's stream is shared/sse.ts): frames are
 * `data: <compact json>\n\n` only (no `event:`, no `id:`, no comments, no end sentinel), exactly
 * what chatkit-python sends.
 */

const encoder = new TextEncoder();

export function encodeChatkitFrame(event: ThreadStreamEvent): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(event)}\n\n`);
}

export const CHATKIT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform (and X-Accel-Buffering for nginx-style proxies) keeps any hop from buffering.
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** Where a streaming handler writes its events. */
export interface ChatkitEventSink {
  /** Enqueues one frame right away; a no-op once the stream is closed or the browser left. */
  send(event: ThreadStreamEvent): void;
  /**
   * Resolves once the browser side has room again (or is gone). A producer awaits it before it
   * reads more from the origin, so a slow reader slows the origin read instead of filling memory.
   */
  ready(): Promise<void>;
  /** True once the browser hung up (or the stream was closed). Producers should stop. */
  readonly closed: boolean;
  /** Aborts when the browser hangs up: pass it to the origin fetch to cancel it too. */
  readonly signal: AbortSignal;
}

export interface ChatkitStreamOptions {
  /**
   * "The browser is gone": aborted when the response body is cancelled. Create it with
   * {@link browserGoneController} before calling the origin, so that call is cancelled too.
   */
  browserGone: AbortController;
  /** Last resort for a producer that throws: the sink is still open, send an `error` event. */
  onUnexpectedError: (error: unknown, sink: ChatkitEventSink) => void;
}

/** An AbortController that aborts when the incoming request does (`enable_request_signal`). */
export function browserGoneController(request: Request): AbortController {
  const controller = new AbortController();
  if (request.signal.aborted) controller.abort();
  else request.signal.addEventListener('abort', () => controller.abort(), { once: true });
  return controller;
}

/** Bytes of frames the stream holds for a browser that is not reading, before producers wait. */
export const CHATKIT_STREAM_HIGH_WATER_BYTES = 64 * 1024;

/**
 * A `200 text/event-stream` response whose body `produce` writes, frame by frame as it happens
 * (nothing is held back). The stream closes when `produce` settles; if the browser hangs up first,
 * `browserGone` aborts so whatever `produce` is reading from is cancelled as well. Frames queue up
 * to {@link CHATKIT_STREAM_HIGH_WATER_BYTES} (a little more: one origin event's frames); past that
 * `sink.ready()` waits for the browser to read.
 */
export function chatkitEventStream(produce: (sink: ChatkitEventSink) => Promise<void>, options: ChatkitStreamOptions): Response {
  const { browserGone } = options;
  let closed = false;
  let wakeProducer: (() => void) | null = null;
  const wake = () => {
    wakeProducer?.();
    wakeProducer = null;
  };
  browserGone.signal.addEventListener('abort', wake, { once: true });
  // The frames and the end, for the rollout signals (lib/stream-watch.ts). `produce` starts
  // writing at once, so what comes before the signals middleware watches is kept for it. The end
  // reported is the adapter's last frame written: a browser that leaves while the last frames are
  // still on their way counts as a whole answer, not as aborted.
  const report = new StreamReport({ replayEarly: true });

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const sink: ChatkitEventSink = {
          send(event) {
            if (closed || browserGone.signal.aborted) return;
            const frame = encodeChatkitFrame(event);
            controller.enqueue(frame);
            report.chunk(frame);
          },
          ready() {
            if (closed || browserGone.signal.aborted || (controller.desiredSize ?? 1) > 0) return Promise.resolve();
            return new Promise<void>((resolve) => (wakeProducer = resolve));
          },
          get closed() {
            return closed || browserGone.signal.aborted;
          },
          signal: browserGone.signal,
        };
        // Not awaited: the Response must go out now, and the frames follow as they are produced.
        void produce(sink)
          .catch((error: unknown) => {
            if (!sink.closed) options.onUnexpectedError(error, sink);
          })
          .finally(() => {
            if (closed) return;
            closed = true;
            try {
              controller.close();
            } catch {
              // Already cancelled by the reader.
            }
            report.end('end');
          });
      },
      pull() {
        wake();
      },
      cancel() {
        closed = true;
        report.end('cancelled');
        browserGone.abort();
        wake();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: CHATKIT_STREAM_HIGH_WATER_BYTES }),
  );
  return new Response(reportingStream(body, report), { status: 200, headers: CHATKIT_STREAM_HEADERS });
}
