import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';

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

/** How the body is read: `reader.read()` unless the caller bounds each wait (the worker's idle deadline). */
export type ReadChunk = (reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<ReadableStreamReadResult<Uint8Array>>;

const readNext: ReadChunk = (reader) => reader.read();

/**
 * Yields each event as soon as its terminating blank line arrives. An event cut off by the end of
 * the body is dropped, as browsers do. Leaving the loop early (`break`, a throw) cancels the body,
 * so the server stops producing. With limits, the parser never buffers more than the largest cap
 * (a `data:` line that never ends fails there) and an event over its own cap fails as it completes.
 *
 * The body is read here, chunk by chunk, and fed to the parser directly: no `pipeThrough` (a
 * `TextDecoderStream` and a parser stream were two more stream hops per chunk, README "Performance").
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  limits: SseLimits = {},
  readChunk: ReadChunk = readNext,
): AsyncGenerator<ServerSentEvent> {
  const byName = limits.maxEventCharsByName ?? {};
  const bufferCap = limits.maxEventChars === undefined ? undefined : Math.max(limits.maxEventChars, ...Object.values(byName));
  const parsed: EventSourceMessage[] = [];
  let overflowed = false as boolean;
  const parser = createParser({
    onEvent: (message) => parsed.push(message),
    onError: (error: ParseError) => {
      if (error.type === 'max-buffer-size-exceeded') overflowed = true;
    },
    maxBufferSize: bufferCap,
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const next = await readChunk(reader);
      if (next.done) {
        finished = true;
        return;
      }
      parser.feed(decoder.decode(next.value, { stream: true }));
      for (const message of parsed.splice(0)) {
        const event = message.event || 'message';
        const cap = byName[event] ?? limits.maxEventChars;
        if (cap !== undefined && message.data.length > cap) throw new SseEventTooLargeError(cap, event);
        yield { event, data: message.data };
      }
      if (overflowed) throw new SseEventTooLargeError(bufferCap ?? 0);
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
