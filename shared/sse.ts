import { EventSourceParserStream } from 'eventsource-parser/stream';

/**
 * Reading `text/event-stream` from a fetch body, for the worker (the origin's chat stream) and the
 * SPA (the legacy chat) alike. Parsing is `eventsource-parser`'s (the EventSource rules: CR/LF/CRLF,
 * multi-line data, comments, chunks split anywhere); this only adapts it to an async iterator.
 */

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server sent none (the SSE default). */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Yields each event as soon as its terminating blank line arrives. An event cut off by the end of
 * the body is dropped, as browsers do. Leaving the loop early (`break`, a throw) cancels the body,
 * so the server stops producing.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  // The DOM and Workers type libraries disagree on TextDecoderStream's writable side; both decode bytes.
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  const reader = body.pipeThrough(decoder).pipeThrough(new EventSourceParserStream()).getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield { event: value.event || 'message', data: value.data };
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
