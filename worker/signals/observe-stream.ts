import type { Outcome } from '../../shared/signals';
import { reportOf } from '../lib/stream-watch';

/**
 * Watches a streamed response on its way to the browser, without buffering or changing it, and
 * reports once how it ended: the outcome and when the first token went out. A stream's outcome is
 * only known at its end, long after the handler returned. A stream that reports itself
 * (lib/stream-watch.ts) is watched through its report; any other gets a pass-through layer.
 */

export type StreamDialect = 'origin_chat' | 'chatkit' | 'plain';

/** What marks a first token, an error and a proper end in each stream. */
const MARKERS: Record<StreamDialect, { token: string | null; error: string | null; done: string | null }> = {
  // The origin's chat SSE (shared/origin.ts): `event: delta` …, then `event: done` or `event: error`.
  origin_chat: { token: 'event: delta', error: 'event: error', done: 'event: done' },
  // ChatKit's stream as the adapter writes it (compact JSON after `data: `).
  chatkit: { token: 'content_part.text_delta', error: 'data: {"type":"error"', done: null },
  plain: { token: null, error: null, done: null },
};
/** Longest marker, kept from the previous chunk so a marker split across chunks is still seen. */
const CARRY = 32;

export interface StreamEnd {
  outcome: Outcome;
  /** Milliseconds from `startedAt` to the first token, when there was one. */
  ttftMs: number | null;
}

export function observeStream(
  body: ReadableStream<Uint8Array>,
  options: { dialect: StreamDialect; startedAt: number; browserGone: AbortSignal; onEnd: (end: StreamEnd) => void },
): ReadableStream<Uint8Array> {
  const markers = MARKERS[options.dialect];
  const decoder = new TextDecoder();
  let carry = '';
  let ttftMs: number | null = null;
  let sawError = false;
  let sawDone = false;
  let ended = false;

  const finish = (how: 'end' | 'broken' | 'cancelled') => {
    if (ended) return;
    ended = true;
    let outcome: Outcome;
    if (how === 'cancelled' || (how === 'broken' && options.browserGone.aborted)) outcome = 'aborted';
    else if (how === 'broken') outcome = 'stream_error';
    // An error event before any token is the upstream failing to answer; after one, the stream died.
    else if (sawError) outcome = ttftMs === null ? 'upstream_error' : 'stream_error';
    else if (markers.done !== null && !sawDone) outcome = 'stream_error';
    else outcome = 'ok';
    options.onEnd({ outcome, ttftMs });
  };

  const scan = (chunk: Uint8Array) => {
    if (markers.token === null && markers.error === null) return;
    const text = carry + decoder.decode(chunk, { stream: true });
    if (ttftMs === null && markers.token !== null && text.includes(markers.token)) ttftMs = Math.max(0, Date.now() - options.startedAt);
    if (markers.error !== null && text.includes(markers.error)) sawError = true;
    if (markers.done !== null && text.includes(markers.done)) sawDone = true;
    carry = text.slice(-CARRY);
  };

  // A stream that reports its own chunks and end (the origin SSE pass-through, the ChatKit
  // stream) is watched as it is: one stream layer less between the origin and the browser.
  const watched = reportOf(body)?.watch({
    chunk: scan,
    end: (how) => finish(how === 'end' && options.browserGone.aborted ? 'cancelled' : how),
  });
  if (watched) return body;

  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          finish('broken');
          controller.error(error);
          return;
        }
        if (chunk.done) {
          finish(options.browserGone.aborted ? 'cancelled' : 'end');
          controller.close();
          return;
        }
        try {
          scan(chunk.value);
        } catch {
          // Observing must never break the stream.
        }
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        finish('cancelled');
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
