import { describe, expect, it } from 'vitest';
import { OriginReadFault, readExcerpt, readWithin } from '../../worker/lib/origin-read';

/**
 * `readWithin`: the idle deadline on one read of an origin body, for the ChatKit adapter, which
 * parses the body as it reads it instead of through a guarded stream (worker/lib/origin-read.ts).
 */

const encoder = new TextEncoder();

/** A body that sends `chunks`, then nothing more, and records being cancelled. */
function quietAfter(chunks: string[]) {
  const state = { cancelled: false, cancelledWith: undefined as unknown };
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]));
      else return new Promise(() => undefined);
    },
    cancel(reason) {
      state.cancelled = true;
      state.cancelledWith = reason;
    },
  });
  return { body, state };
}

describe('readWithin', () => {
  it('hands on chunks that come in time, then ends a silent body with an idle fault and cancels it', async () => {
    const { body, state } = quietAfter(['event: delta\ndata: {}\n\n']);
    const reader = body.getReader();
    const first = await readWithin(reader, 1_000);
    expect(new TextDecoder().decode(first.value)).toBe('event: delta\ndata: {}\n\n');

    const fault = await readWithin(reader, 30).then(
      () => null,
      (error: unknown) => error,
    );
    expect(fault).toBeInstanceOf(OriginReadFault);
    expect((fault as OriginReadFault).reason).toBe('idle');
    expect(state.cancelledWith).toBe(fault);
  });

  it('passes the end of the body on as it is', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.close();
      },
    });
    expect(await readWithin(body.getReader(), 1_000)).toMatchObject({ done: true });
  });
});

describe('readExcerpt', () => {
  it('logs what an error body sent before it went quiet, and cancels the rest', async () => {
    const { body, state } = quietAfter(['Traceback (most recent call last):\n', '  File "app.py"\n']);
    const excerpt = await readExcerpt(new Response(body, { status: 500 }));
    expect(excerpt).toBe('Traceback (most recent call last):\n  File "app.py"\n');
    expect(state.cancelled).toBe(true);
  });

  it('reads no further than the excerpt it keeps', async () => {
    const { body } = quietAfter(['x'.repeat(400), 'y'.repeat(400), 'z'.repeat(400)]);
    const excerpt = await readExcerpt(new Response(body, { status: 500 }), 500);
    expect(excerpt).toBe(`${'x'.repeat(400)}${'y'.repeat(100)}… (800 chars)`);
  });
});
