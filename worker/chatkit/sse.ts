import type { ThreadStreamEvent } from '../../shared/chatkit';

/**
 * Server-sent events both ways: reading the origin's `event:` + `data:` stream incrementally, and
 * writing ChatKit's frames (`data: <compact json>\n\n` only: no `event:`, no `id:`, no comments,
 * no end sentinel, exactly what chatkit-python sends).
 */

export interface SseMessage {
  /** The `event:` field; `message` when the origin sent none (the SSE default). */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Yields each event of an SSE body as soon as its terminating blank line arrives, following the
 * WHATWG parsing rules that matter here: `\n`, `\r\n` and `\r` line ends, multi-line `data`,
 * comment lines (`:`), one optional space after the colon. `id:` and `retry:` are ignored. An
 * event cut off by the end of the body is dropped, as browsers do.
 *
 * Stopping early (`break`, `return()`) cancels the body, so the origin stops producing.
 */
export async function* readSseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let dataLines: string[] = [];
  let finished = false;

  /** Applies one line; returns the event a blank line completes, if any. */
  const applyLine = (line: string): SseMessage | undefined => {
    if (line === '') {
      const message = dataLines.length > 0 ? { event: event || 'message', data: dataLines.join('\n') } : undefined;
      event = '';
      dataLines = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const rawValue = colon === -1 ? '' : line.slice(colon + 1);
    const value = rawValue.startsWith(' ') ? rawValue.slice(1) : rawValue;
    if (field === 'event') event = value;
    else if (field === 'data') dataLines.push(value);
    return undefined;
  };

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        // A `\r` held back below ends a line after all: nothing can follow it now.
        if (buffer.endsWith('\r')) {
          const message = applyLine(buffer.slice(0, -1));
          if (message) yield message;
        }
        return;
      }
      buffer += value;
      // A trailing `\r` may be the first half of `\r\n`: it waits for the next chunk to decide.
      const lineEnd = /\r\n|\n|\r(?!$)/g;
      let consumed = 0;
      for (let match = lineEnd.exec(buffer); match !== null; match = lineEnd.exec(buffer)) {
        const message = applyLine(buffer.slice(consumed, match.index));
        consumed = match.index + match[0].length;
        if (message) yield message;
      }
      buffer = buffer.slice(consumed);
    }
  } finally {
    // Also reached on `return()` or a throw in the consumer: hang up on the origin.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

// --- writing ChatKit's stream ----------------------------------------------------------------------

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

/**
 * A `200 text/event-stream` response whose body `produce` writes, frame by frame as it happens
 * (nothing is buffered). The stream closes when `produce` settles; if the browser hangs up first,
 * `browserGone` aborts so whatever `produce` is reading from is cancelled as well.
 */
export function chatkitEventStream(produce: (sink: ChatkitEventSink) => Promise<void>, options: ChatkitStreamOptions): Response {
  const { browserGone } = options;
  let closed = false;

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const sink: ChatkitEventSink = {
        send(event) {
          if (closed || browserGone.signal.aborted) return;
          controller.enqueue(encodeChatkitFrame(event));
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
        });
    },
    cancel() {
      closed = true;
      browserGone.abort();
    },
  });
  return new Response(body, { status: 200, headers: CHATKIT_STREAM_HEADERS });
}
