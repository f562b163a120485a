import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type ServerSentEvent } from '../../shared/sse';

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(chunks: Array<string | Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(streamOf(chunks))) events.push(event);
  return events;
}

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
    expect(await collect(['event: delta\ndata: {"text":"a"}\n\nevent: done\ndata: {"trunc'])).toEqual([
      { event: 'delta', data: '{"text":"a"}' },
    ]);
  });
});
