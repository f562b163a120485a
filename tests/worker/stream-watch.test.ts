import { describe, expect, it } from 'vitest';
import { browserGoneController, chatkitEventStream } from '../../worker/chatkit-backend/sse';
import { guardOriginStream } from '../../worker/lib/origin-read';
import { reportOf, StreamReport } from '../../worker/lib/stream-watch';
import { observeStream, type StreamEnd } from '../../worker/signals/observe-stream';

/**
 * The rollout signals watch the origin SSE pass-through through the stream's own report instead
 * of a stream layer of their own (worker/lib/stream-watch.ts): the same outcomes, one hop less.
 */

const encoder = new TextEncoder();
const notGone = new AbortController().signal;

/** A stream of `events`, then either its end or nothing more (a stalled origin). */
function originStream(events: string[], then: 'end' | 'stall' = 'end'): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < events.length) controller.enqueue(encoder.encode(events[i++]));
      else if (then === 'end') controller.close();
      else return new Promise(() => undefined);
    },
  });
}

function watch(body: ReadableStream<Uint8Array>) {
  let ended: StreamEnd | null = null;
  const observed = observeStream(body, { dialect: 'origin_chat', startedAt: Date.now(), browserGone: notGone, onEnd: (end) => (ended = end) });
  return { observed, ended: () => ended };
}

describe('watching a stream that reports itself', () => {
  it('adds no layer: the guarded stream comes back as it is, also once a Response holds it', () => {
    const guarded = guardOriginStream(originStream(['event: delta\ndata: {}\n\n']), { idleMs: 1_000 });
    expect(reportOf(guarded)).toBeDefined();
    expect(reportOf(new Response(guarded).body!)).toBeDefined();
    expect(watch(guarded).observed).toBe(guarded);
  });

  it('sees every chunk and the end: ok with a time to first token, and the bytes unchanged', async () => {
    const events = ['event: start\ndata: {}\n\n', 'event: delta\ndata: {"text":"hi"}\n\n', 'event: done\ndata: {}\n\n'];
    const { observed, ended } = watch(guardOriginStream(originStream(events), { idleMs: 1_000 }));
    expect(await new Response(observed).text()).toBe(events.join(''));
    expect(ended()).toMatchObject({ outcome: 'ok' });
    expect(ended()?.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('an origin that stalls after a token: the idle deadline writes its error event, seen as stream_error', async () => {
    const stalled = guardOriginStream(originStream(['event: delta\ndata: {}\n\n'], 'stall'), {
      idleMs: 50,
      onIdle: (controller) => {
        controller.enqueue(encoder.encode('event: error\ndata: {}\n\n'));
        controller.close();
      },
    });
    const { observed, ended } = watch(stalled);
    expect(await new Response(observed).text()).toContain('event: error');
    expect(ended()).toMatchObject({ outcome: 'stream_error' });
  });

  it('a reader that cancels: aborted', async () => {
    const { observed, ended } = watch(guardOriginStream(originStream(['event: delta\ndata: {}\n\n'], 'stall'), { idleMs: 5_000 }));
    const reader = observed.getReader();
    await reader.read();
    await reader.cancel('gone');
    expect(ended()).toMatchObject({ outcome: 'aborted' });
  });

  it('a stream without a report gets a pass-through layer, with the same outcome', async () => {
    const plain = originStream(['event: delta\ndata: {}\n\n', 'event: done\ndata: {}\n\n']);
    const { observed, ended } = watch(plain);
    expect(observed).not.toBe(plain);
    await new Response(observed).text();
    expect(ended()).toMatchObject({ outcome: 'ok' });
  });

  it('the ChatKit event stream reports itself too: a turn is ok with its first text_delta, a hang-up is aborted', async () => {
    const delta = { type: 'thread.item.updated', item_id: 'm1', update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'hi' } };
    const turn = (hangUp: boolean) => {
      const browserGone = browserGoneController(new Request('http://worker.test/api/chatkit'));
      const res = chatkitEventStream(
        async (sink) => {
          sink.send(delta as never);
          if (hangUp) await new Promise((resolve) => setTimeout(resolve, 5_000));
        },
        { browserGone, onUnexpectedError: () => undefined },
      );
      let ended: StreamEnd | null = null;
      const observed = observeStream(res.body!, { dialect: 'chatkit', startedAt: Date.now(), browserGone: browserGone.signal, onEnd: (end) => (ended = end) });
      expect(observed).toBe(res.body);
      return { observed, ended: () => ended };
    };
    const whole = turn(false);
    expect(await new Response(whole.observed).text()).toContain('text_delta');
    expect(whole.ended()).toMatchObject({ outcome: 'ok' });
    expect(whole.ended()?.ttftMs).toBeGreaterThanOrEqual(0);

    const left = turn(true);
    const reader = left.observed.getReader();
    await reader.read();
    await reader.cancel();
    expect(left.ended()).toMatchObject({ outcome: 'aborted' });
  });

  it('a report replays what came before its one watcher when asked to (and the end), and gives up past 256 KB or on a second watcher', () => {
    const seen: string[] = [];
    const report = new StreamReport({ replayEarly: true });
    report.chunk(encoder.encode('a'));
    report.end('end');
    expect(report.watch({ chunk: (c) => seen.push(new TextDecoder().decode(c)), end: (how) => seen.push(`end:${how}`) })).toBe(true);
    expect(seen).toEqual(['a', 'end:end']);
    expect(report.watch({ chunk: () => undefined, end: () => undefined })).toBe(false);

    const flooded = new StreamReport({ replayEarly: true });
    for (let i = 0; i < 5; i++) flooded.chunk(new Uint8Array(64 * 1024));
    expect(flooded.watch({ chunk: () => undefined, end: () => undefined })).toBe(false);

    // A stream read on demand (the SSE pass-through) keeps nothing before its watcher comes.
    const onDemand = new StreamReport();
    const later: string[] = [];
    onDemand.chunk(encoder.encode('never kept'));
    expect(onDemand.watch({ chunk: (c) => later.push(new TextDecoder().decode(c)), end: () => undefined })).toBe(true);
    onDemand.chunk(encoder.encode('b'));
    expect(later).toEqual(['b']);
  });
});
