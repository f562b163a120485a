import { describe, expect, it } from 'vitest';
import { readServerSentEvents, SseEventTooLargeError, type ServerSentEvent, type SseLimits } from '../../shared/sse';

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(chunks: Array<string | Uint8Array>, limits?: SseLimits): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(streamOf(chunks), limits)) events.push(event);
  return events;
}

describe('readServerSentEvents limits', () => {
  const limits: SseLimits = { maxEventChars: 100, maxEventCharsByName: { done: 300 } };

  it('passes events up to their cap, a named one up to its own', async () => {
    const events = await collect([`event: delta\ndata: ${'a'.repeat(100)}\n\nevent: done\ndata: ${'b'.repeat(300)}\n\n`], limits);
    expect(events.map((event) => event.data.length)).toEqual([100, 300]);
  });

  it.each([
    ['an event one over its cap, complete in one chunk', [`event: delta\ndata: ${'a'.repeat(101)}\n\n`], 'delta'],
    ['a named event over its own cap', [`event: done\ndata: ${'b'.repeat(301)}\n\n`], 'done'],
    ['a line that never ends, in many chunks', ['data: ', ...Array.from({ length: 50 }, () => 'x'.repeat(10))], undefined],
    ['data lines that never reach a blank line', Array.from({ length: 50 }, () => 'data: yyyyyyyy\n'), undefined],
  ])('refuses %s', async (_what, chunks, eventName) => {
    const error = await collect(chunks, limits).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SseEventTooLargeError);
    expect((error as SseEventTooLargeError).eventName).toBe(eventName);
  });

  it('without limits reads any size (the SPA reads what the worker already bounded)', async () => {
    expect((await collect([`data: ${'z'.repeat(200_000)}\n\n`]))[0]?.data.length).toBe(200_000);
  });
});

describe('readServerSentEvents', () => {
  it('reads named events with JSON data', async () => {
    expect(await collect(['event: start\ndata: {"conversation_id":1}\n\nevent: delta\ndata: {"text":"Hi"}\n\n'])).toEqual([
      { event: 'start', data: '{"conversation_id":1}' },
      { event: 'delta', data: '{"text":"Hi"}' },
    ]);
  });

  it('reassembles events split anywhere across chunks, including inside CRLF', async () => {
    const text = 'event: delta\r\ndata: {"text":"Hello"}\r\n\r\nevent: done\r\ndata: {}\r\n\r\n';
    const chunks = text.split(/(?<=\r)/); // every chunk ends right after a CR
    expect(chunks.length).toBeGreaterThan(3);
    expect(await collect(chunks)).toEqual([
      { event: 'delta', data: '{"text":"Hello"}' },
      { event: 'done', data: '{}' },
    ]);
  });

  it('keeps a multi-byte character split between chunks intact', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"café ✓"}\n\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte ✓
    expect(await collect([bytes.slice(0, cut), bytes.slice(cut)])).toEqual([{ event: 'delta', data: '{"text":"café ✓"}' }]);
  });

  it('joins multi-line data, skips comments and defaults the name to "message"', async () => {
    expect(await collect([': ping\n\ndata: line one\ndata: line two\n\n'])).toEqual([{ event: 'message', data: 'line one\nline two' }]);
  });

  it('drops an event whose closing blank line never came', async () => {
    expect(await collect(['event: delta\ndata: {"text":"a"}\n\nevent: done\ndata: {"trunc'])).toEqual([{ event: 'delta', data: '{"text":"a"}' }]);
  });
});

describe('readServerSentEvents with a read of its own', () => {
  it('reads every chunk through it, and cancels the body when the loop is left early', async () => {
    let reads = 0;
    let sent = 0;
    let cancelled = false;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode(`event: delta\ndata: ${sent++}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    for await (const event of readServerSentEvents(body, {}, (reader) => {
      reads += 1;
      return reader.read();
    })) {
      seen.push(event.data);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['0', '1', '2']);
    expect(reads).toBe(3);
    expect(cancelled).toBe(true);
  });

  it('passes on what the read throws', async () => {
    const failure = new Error('the origin went quiet');
    const read = readServerSentEvents(streamOf(['data: never seen\n\n']), {}, () => Promise.reject(failure));
    await expect(read.next()).rejects.toBe(failure);
  });
});
