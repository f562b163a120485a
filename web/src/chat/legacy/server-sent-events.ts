export interface ServerSentEvent {
  /** `event:` field; `message` when the server sent none. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Reads `text/event-stream` incrementally from a fetch body and yields each event as soon as its
 * blank line arrives, following the EventSource parsing rules (comments, multi-line data, any of
 * CRLF/CR/LF, a line or a UTF-8 character split across chunks). `id`/`retry` are ignored: a
 * fetch-based stream is not reconnected. Leaving the loop early cancels the body (the request).
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let eventName = '';
  let dataLines: string[] = [];
  let finished = false;

  try {
    while (!finished) {
      const { value, done } = await reader.read();
      finished = done;
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });

      for (let match = LINE_BREAK.exec(buffer); match; match = LINE_BREAK.exec(buffer)) {
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
        if (match[0] === '\r' && match.index === buffer.length - 1 && !finished) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);

        if (line === '') {
          if (dataLines.length > 0) yield { event: eventName || 'message', data: dataLines.join('\n') };
          eventName = '';
          dataLines = [];
          continue;
        }
        if (line.startsWith(':')) continue; // a comment (keep-alive ping)
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const rawValue = colon === -1 ? '' : line.slice(colon + 1);
        const fieldValue = rawValue.startsWith(' ') ? rawValue.slice(1) : rawValue;
        if (field === 'event') eventName = fieldValue;
        else if (field === 'data') dataLines.push(fieldValue);
      }
    }
    // Per the spec an event without its closing blank line is incomplete and is dropped.
  } finally {
    if (finished) reader.releaseLock();
    else await reader.cancel().catch(() => {});
  }
}
