/**
 * Server-sent events as a streamed Response: every event is enqueued as soon as it is written, so
 * @hono/node-server flushes it to the socket right away (no buffering of the whole answer).
 */
import { sleep } from './http';

export interface SseWriter {
  /** Writes `event: <name>` + `data: <compact json>`; a no-op once the client has left. */
  send(event: string, data: unknown): void;
  /** Waits `ms`; resolves false (early) when the client has left, so producers can stop. */
  pause(ms: number): Promise<boolean>;
  /** Aborts when the client disconnects. */
  readonly signal: AbortSignal;
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } as const;

const encoder = new TextEncoder();

export function formatSseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Runs `produce` against a fresh SSE stream and closes the stream when it settles. `clientGone`
 * (from the Node response) and the stream's own cancellation both count as the client leaving.
 */
export function sseResponse(produce: (sse: SseWriter) => Promise<void>, clientGone?: AbortSignal): Response {
  const left = new AbortController();
  clientGone?.addEventListener('abort', () => left.abort(), { once: true });
  let closed = false;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const close = (): void => {
        if (closed) return;
        closed = true;
        controller.close();
      };
      const writer: SseWriter = {
        send(event, data) {
          if (closed || left.signal.aborted) return;
          controller.enqueue(encoder.encode(formatSseEvent(event, data)));
        },
        pause: (ms) => sleep(ms, left.signal),
        signal: left.signal,
      };
      produce(writer)
        .catch((error: unknown) => {
          console.error('[origin] SSE producer failed:', error);
          writer.send('error', { message: 'The origin failed while streaming.' });
        })
        .finally(close);
    },
    cancel() {
      closed = true;
      left.abort();
    },
  });
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}
