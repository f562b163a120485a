import { parseSseEvents } from '../../../origin/client';

export interface ReadEvent {
  event: string;
  data: unknown;
}

/** How a stream ended: the body finished normally, or reading it failed (a broken connection). */
export type StreamEnd = { kind: 'done' } | { kind: 'error'; message: string };

/**
 * Reads an SSE body event by event, so a test can act in the middle of a stream (restart the
 * origin after the first delta, say) and then see how the stream ends.
 */
export class SseReader {
  readonly events: ReadEvent[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private end: StreamEnd | null = null;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** Reads until `predicate` matches an event (returned) or the stream ends (null). */
  async until(predicate: (event: ReadEvent) => boolean): Promise<ReadEvent | null> {
    let seen = 0;
    for (;;) {
      for (; seen < this.events.length; seen += 1) if (predicate(this.events[seen]!)) return this.events[seen]!;
      if (this.end) return null;
      await this.pull();
    }
  }

  /** Reads to the end of the stream and says how it ended. */
  async finish(): Promise<StreamEnd> {
    while (!this.end) await this.pull();
    return this.end;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private async pull(): Promise<void> {
    try {
      const { done, value } = await this.reader.read();
      if (done) {
        this.end = { kind: 'done' };
        return;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
      const { events, rest } = parseSseEvents(this.buffer);
      this.buffer = rest;
      this.events.push(...events);
    } catch (error) {
      this.end = { kind: 'error', message: error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error) };
    }
  }
}

/** ChatKit frames are bare `data:` lines; their JSON carries the type. */
export const chatkitTypes = (events: readonly ReadEvent[]): string[] =>
  events.map((event) => {
    const data = event.data as { type?: string; update?: { type?: string } };
    return data.update?.type ? `${data.type} ${data.update.type}` : String(data.type);
  });
