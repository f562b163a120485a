import { EventSourceParserStream, ParseError } from 'eventsource-parser/stream';

/**
 * Reading `text/event-stream` from a fetch body, for the worker (the origin's chat stream) and the
 * SPA (the legacy chat) alike. Parsing is `eventsource-parser`'s (the EventSource rules: CR/LF/CRLF,
 * multi-line data, comments, chunks split anywhere); this only adapts it to an async iterator and
 * bounds how much one event may hold.
 */

export interface ServerSentEvent {
  /** The `event:` field; `message` when the server sent none (the SSE default). */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/** The worker's cap on one event from the origin, in characters (README "Security model"). */
export const MAX_SSE_EVENT_CHARS = 65_536;

export interface SseLimits {
  /** Largest `data` of one event, in characters (UTF-16 code units). Unset: no limit. */
  maxEventChars?: number;
  /** A larger cap for some event names (e.g. a final event that repeats a whole answer). */
  maxEventCharsByName?: Record<string, number>;
}

/** One event (or one line still waiting for its end) went past the cap; reading stopped. */
export class SseEventTooLargeError extends Error {
  constructor(
    readonly limit: number,
    readonly eventName?: string,
  ) {
    super(`${eventName ? `the "${eventName}" event` : 'an event'} is over ${limit} characters`);
    this.name = 'SseEventTooLargeError';
  }
}

/**
 * Yields each event as soon as its terminating blank line arrives. An event cut off by the end of
 * the body is dropped, as browsers do. Leaving the loop early (`break`, a throw) cancels the body,
 * so the server stops producing. With limits, the parser never buffers more than the largest cap
 * (a `data:` line that never ends fails there) and an event over its own cap fails as it completes.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>, limits: SseLimits = {}): AsyncGenerator<ServerSentEvent> {
  const byName = limits.maxEventCharsByName ?? {};
  const bufferCap = limits.maxEventChars === undefined ? undefined : Math.max(limits.maxEventChars, ...Object.values(byName));
  // The DOM and Workers type libraries disagree on TextDecoderStream's writable side; both decode bytes.
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  const reader = body
    .pipeThrough(decoder)
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: bufferCap }))
    .getReader();
  let finished = false;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<{ event?: string; data: string }>;
      try {
        next = await reader.read();
      } catch (error) {
        if (error instanceof ParseError && error.type === 'max-buffer-size-exceeded') throw new SseEventTooLargeError(bufferCap ?? 0);
        throw error;
      }
      if (next.done) {
        finished = true;
        return;
      }
      const event = next.value.event || 'message';
      const cap = byName[event] ?? limits.maxEventChars;
      if (cap !== undefined && next.value.data.length > cap) throw new SseEventTooLargeError(cap, event);
      yield { event, data: next.value.data };
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
