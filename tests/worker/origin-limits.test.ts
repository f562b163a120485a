import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { ThreadStreamEventSchema, type ThreadStreamEvent } from '../../shared/chatkit';
import { ErrorBodySchema } from '../../shared/errors';
import { INTERRUPTED_MESSAGE, ORIGIN_FAILED_MESSAGE } from '../../worker/chatkit-backend/stream-turn';
import { hostileStats, registeredScenarioUrl, scenarioUrl, type Scenario, type ScenarioStats } from '../fakes/hostile-scenarios';
import { loggedEvents } from './log-lines';
import { uniqueMarker } from './origin-log';
import { callWorker } from './support';
import { resilienceFigure } from './tally';
import { signWithIssuer, trustTestIssuer } from './tokens';

// one per hostile case below: 1 + 1 + 4 + 3 + 2 + 1 + 2
const originFaultsSurvived = resilienceFigure('origin_faults_survived', 14);

/** How long to wait for the origin to see its connection closed (a deadline for readiness, not an assertion). */
const ORIGIN_CLOSE_POLL = { timeout: 10_000, interval: 50 };

/**
 * What the ChatKit adapter reads from a faulty or hostile origin (tests/fakes/hostile-origin.ts,
 * a raw-socket Node peer): caps on a JSON document, one SSE event and one answer, an idle
 * deadline, back-pressure towards a browser that does not read, and the origin's error text kept
 * out of the user's sight. Every "the origin request was aborted" is observed at the origin.
 */

beforeAll(async () => {
  await env.FLAGS.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100 } }));
});

let logs: { warn: ReturnType<typeof vi.spyOn>; error: ReturnType<typeof vi.spyOn> };
beforeEach(() => {
  logs = { warn: vi.spyOn(console, 'warn'), error: vi.spyOn(console, 'error') };
});
afterEach(() => {
  logs.warn.mockRestore();
  logs.error.mockRestore();
});

const hostile = () => inject('hostileOriginUrl');
const stats = (id: string): Promise<ScenarioStats> => hostileStats(hostile(), id);
const START = 'event: start\ndata: {"conversation_id":7,"user_message_id":70}\n\n';
const delta = (text: string) => `event: delta\ndata: ${JSON.stringify({ text })}\n\n`;
const done = (response: string) =>
  `event: done\ndata: ${JSON.stringify({ conversation_id: 7, message_id: 71, user_message_id: 70, response, tool_calls: [] })}\n\n`;
const eventStream = (body: string): Pick<Extract<Scenario, { kind: 'raw' }>, 'headerLines' | 'body'> => ({
  headerLines: ['content-type: text/event-stream'],
  body,
});

async function chatkit(scenario: Scenario, body: unknown, vars: Record<string, string> = {}): Promise<Response> {
  const token = await signWithIssuer({ payload: { sub: 'limits-user' } });
  return callWorker(
    '/api/chatkit',
    { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { ...trustTestIssuer(), ORIGIN_URL: await registeredScenarioUrl(hostile(), scenario), ...vars },
  );
}
const newThread = { type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hello' }], attachments: [], inference_options: {} } } };
const listThreads = { type: 'threads.list', params: { limit: 20, order: 'desc' } };

/** Every frame of a ChatKit stream, read to its end. */
async function readAll(res: Response): Promise<ThreadStreamEvent[]> {
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => v.parse(ThreadStreamEventSchema, JSON.parse(frame.slice('data: '.length))));
}

/** The stream's last word: an `error` event, after the half-written answer was removed. */
function expectFailedTurn(events: ThreadStreamEvent[], message: string): void {
  const last = events.at(-1);
  expect(last).toEqual({ type: 'error', code: 'custom', message, allow_retry: true });
  const added = events.find((event) => event.type === 'thread.item.added' && event.item.type === 'assistant_message');
  if (added?.type === 'thread.item.added') {
    expect(events).toContainEqual({ type: 'thread.item.removed', item_id: added.item.id });
  }
}

const turnFailures = () => loggedEvents(logs.warn, 'chatkit_turn_failed');

async function expectContractError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(v.parse(ErrorBodySchema, JSON.parse(text)).error.code).toBe(code);
}

/** Polls the origin's byte count until it holds still (the reader has stopped pulling). */
async function settledBytes(id: string): Promise<number> {
  let last = -1;
  let still = 0;
  for (;;) {
    const { bytes } = await stats(id);
    still = bytes === last ? still + 1 : 0;
    last = bytes;
    if (still >= 5) return bytes;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('back-pressure: a browser that does not read slows the origin read', () => {
  it('an endless answer to a client that stopped reading: the bytes pulled from the origin stop growing, then resume when it reads', async () => {
    const id = uniqueMarker('flood');
    const filler = delta('x'.repeat(1000));
    // A cap far above anything pulled here, so only back-pressure can stop the read.
    const res = await chatkit({ kind: 'sse-flood', id, prelude: START, filler }, newThread, { ORIGIN_MAX_ANSWER_BYTES: String(16 * 1024 * 1024) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 100_000) received += (await reader.read()).value!.byteLength;

    const plateau = await settledBytes(id);
    // What is in flight: the two kernel socket buffers (Linux's default maxima, tcp_wmem 4 MB +
    // tcp_rmem 6 MB), workerd's read buffer, the parser pipe and the 64 KB frame queue. About 4 MB
    // here; without back-pressure the adapter pulled 21 MB before this check and kept it.
    expect(plateau).toBeLessThan(12 * 1024 * 1024);
    expect((await stats(id)).closedByPeer).toBe(false);

    // Reading again pulls more from the origin: the pause was back-pressure, not an end.
    let more = 0;
    while (more < plateau + 1_000_000) more += (await reader.read()).value!.byteLength;
    expect((await stats(id)).bytes).toBeGreaterThan(plateau);

    await reader.cancel();
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
    await originFaultsSurvived.record();
  });

  it('the /api/v1 SSE pass-through reads the origin no faster than the client reads the worker', async () => {
    const id = uniqueMarker('pass-through-flood');
    const token = await signWithIssuer({ payload: { sub: 'limits-user' } });
    const res = await callWorker(
      '/api/v1/events',
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      {
        ...trustTestIssuer(),
        ORIGIN_URL: scenarioUrl(hostile(), {
          kind: 'sse-flood',
          id,
          prelude: 'event: tick\ndata: {}\n\n',
          filler: 'event: tick\ndata: ' + 'p'.repeat(1000) + '\n\n',
        }),
      },
    );
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 100_000) received += (await reader.read()).value!.byteLength;
    expect(await settledBytes(id)).toBeLessThan(12 * 1024 * 1024);
    await reader.cancel();
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
  });
});

describe('caps inside the stream: an error event, and the origin request aborted', () => {
  it('one answer over ORIGIN_MAX_ANSWER_BYTES', async () => {
    const id = uniqueMarker('answer-cap');
    const events = await readAll(
      await chatkit({ kind: 'sse-flood', id, prelude: START, filler: delta('y'.repeat(1000)) }, newThread, { ORIGIN_MAX_ANSWER_BYTES: '65536' }),
    );
    expectFailedTurn(events, INTERRUPTED_MESSAGE);
    const streamed = events.reduce(
      (sum, event) =>
        sum + (event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta' ? event.update.delta.length : 0),
      0,
    );
    expect(streamed).toBeLessThanOrEqual(65536);
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
    expect(turnFailures().map((line) => line.reason)).toEqual(['origin_answer_too_large']);
    await originFaultsSurvived.record();
  });

  it('an answer over the cap counted in UTF-8 bytes, not characters', async () => {
    const id = uniqueMarker('answer-utf8');
    // 30,000 characters of "é" are 60,000 bytes: over a 40,000-byte cap.
    const body = START + delta('é'.repeat(15_000)) + delta('é'.repeat(15_000)) + done('é'.repeat(30_000));
    const events = await readAll(await chatkit({ kind: 'raw', id, ...eventStream(body) }, newThread, { ORIGIN_MAX_ANSWER_BYTES: '40000' }));
    expectFailedTurn(events, INTERRUPTED_MESSAGE);
    expect(turnFailures().map((line) => line.reason)).toEqual(['origin_answer_too_large']);
  });

  it.each([
    ['a data: line that never ends', delta('z').slice(0, -4), 'z'.repeat(1024)],
    ['a data: line that never ends, in two-byte characters', 'event: delta\ndata: {"text":"', 'ü'.repeat(512)],
    ['an event whose data lines never reach a blank line', 'event: delta\n', 'data: more\n'],
    ['an event whose lines end in bare CRs only', 'event: delta\r', 'data: more-and-more\r'],
  ])('%s is cut once the parser holds more than the largest event cap', async (_what, open, filler) => {
    const id = uniqueMarker('event-cap');
    const events = await readAll(await chatkit({ kind: 'sse-flood', id, prelude: START + open, filler }, newThread));
    expectFailedTurn(events, INTERRUPTED_MESSAGE);
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
    expect(turnFailures().map((line) => line.reason)).toEqual(['origin_event_too_large']);
    await originFaultsSurvived.record();
  });

  it('one complete event over 64 K characters is refused; one just under passes', async () => {
    const over = await readAll(
      await chatkit({ kind: 'raw', id: uniqueMarker('big-event'), ...eventStream(START + delta('a'.repeat(70_000)) + done('a'.repeat(70_000))) }, newThread),
    );
    expectFailedTurn(over, INTERRUPTED_MESSAGE);
    expect(turnFailures().map((line) => line.reason)).toEqual(['origin_event_too_large']);

    const text = 'b'.repeat(65_000);
    const under = await readAll(await chatkit({ kind: 'raw', id: uniqueMarker('ok-event'), ...eventStream(START + delta(text) + done(text)) }, newThread));
    expect(under.at(-1)?.type).not.toBe('error');
    expect(under).toContainEqual(
      expect.objectContaining({
        type: 'thread.item.done',
        item: expect.objectContaining({ type: 'assistant_message', content: [expect.objectContaining({ text })] }),
      }),
    );
  });

  it('the final done event may repeat a long answer (up to the answer cap), so answers over 64 K still complete', async () => {
    const parts = Array.from({ length: 5 }, (_, i) => String(i).repeat(40_000));
    const body = START + parts.map(delta).join('') + done(parts.join(''));
    const events = await readAll(await chatkit({ kind: 'raw', id: uniqueMarker('long-answer'), ...eventStream(body) }, newThread));
    const final = events.find((event) => event.type === 'thread.item.done' && event.item.type === 'assistant_message');
    expect(final?.type === 'thread.item.done' && final.item.type === 'assistant_message' && final.item.content[0]?.text.length).toBe(200_000);
  });
});

describe('idle deadline: ORIGIN_STREAM_IDLE_MS', () => {
  it.each([
    ['after the first delta', START + delta('Hel')],
    ['after start, before any text', START],
    ['in the middle of an event', START + 'event: delta\ndata: {"te'],
  ])('an origin that stalls %s: the stream ends with an error event and the origin request is aborted', async (_what, prelude) => {
    const id = uniqueMarker('stall');
    const events = await readAll(await chatkit({ kind: 'sse-stall', id, prelude }, newThread, { ORIGIN_STREAM_IDLE_MS: '300' }));
    expectFailedTurn(events, INTERRUPTED_MESSAGE);
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
    expect(turnFailures().map((line) => line.reason)).toEqual(['origin_idle']);
    await originFaultsSurvived.record();
  });
});

describe('caps before the stream: 502 upstream_error', () => {
  it.each([
    ['with a Content-Length over the cap (refused before reading)', true],
    ['without a length (counted while reading)', false],
  ])('a JSON document over ORIGIN_MAX_JSON_BYTES, %s', async (_what, contentLength) => {
    const id = uniqueMarker('json-cap');
    await expectContractError(
      await chatkit({ kind: 'json-flood', id, bytes: 3_000_000, contentLength }, listThreads, { ORIGIN_MAX_JSON_BYTES: '1000000' }),
      502,
      'upstream_error',
    );
    await expect.poll(async () => (await stats(id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
    expect((await stats(id)).bytes).toBeLessThan(3_000_000);
    expect(loggedEvents(logs.error, 'origin_over_limit').map((line) => line.reason)).toEqual(['document_too_large']);
    await originFaultsSurvived.record();
  });

  it('a JSON document under the cap is read', async () => {
    const res = await chatkit({ kind: 'json-flood', id: uniqueMarker('json-ok'), bytes: 900_000, contentLength: false }, listThreads, {
      ORIGIN_MAX_JSON_BYTES: '1000000',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data.length).toBe(20);
  });

  it('a JSON-only chat reply whose answer is over ORIGIN_MAX_ANSWER_BYTES', async () => {
    const reply = { conversation_id: 7, message_id: 71, user_message_id: 70, response: 'r'.repeat(5_000), tool_calls: [] };
    const res = await chatkit(
      { kind: 'raw', id: uniqueMarker('reply-cap'), headerLines: ['content-type: application/json'], body: JSON.stringify(reply) },
      newThread,
      { ORIGIN_MAX_ANSWER_BYTES: '4096' },
    );
    await expectContractError(res, 502, 'upstream_error');
    expect(loggedEvents(logs.error, 'origin_over_limit').map((line) => line.reason)).toEqual(['answer_too_large']);
  });
});

describe("the origin's error text stays in the log", () => {
  const leaky =
    'Traceback (most recent call last): File "/srv/app/db.py", line 42 — OPENAI_API_KEY=sk-live-abc123def456 — postgres://admin:hunter2@db.internal:5432/prod';

  it('an origin error event: the user reads a generic message, the log keeps the origin text, cut', async () => {
    const body = START + delta('Partial ') + `event: error\ndata: ${JSON.stringify({ message: leaky + ' ' + 'x'.repeat(5000) })}\n\n`;
    const res = await chatkit({ kind: 'raw', id: uniqueMarker('leak'), ...eventStream(body) }, newThread);
    const events = await readAll(res);
    expectFailedTurn(events, ORIGIN_FAILED_MESSAGE);
    const seen = JSON.stringify(events);
    for (const secret of ['Traceback', 'sk-live', 'postgres://', 'hunter2', 'db.internal']) expect(seen).not.toContain(secret);

    const [line] = turnFailures();
    expect(line?.reason).toBe('origin_error');
    expect(String(line?.origin_message)).toContain('Traceback (most recent call last)');
    expect(String(line?.origin_message).length).toBeLessThan(600);
    await originFaultsSurvived.record();
  });

  it.each([
    [
      'the /api/v1 proxy',
      async (scenario: Scenario) => {
        const token = await signWithIssuer({ payload: { sub: 'limits-user' } });
        return callWorker(
          '/api/v1/tasks',
          { headers: { authorization: `Bearer ${token}` } },
          { ...trustTestIssuer(), ORIGIN_URL: await registeredScenarioUrl(hostile(), scenario) },
        );
      },
    ],
    ['the ChatKit adapter', (scenario: Scenario) => chatkit(scenario, listThreads)],
  ])("an origin 5xx through %s: 502 with the worker's words, the body's start in the log", async (_via, call) => {
    const body = `${leaky}\n${'at frame (/srv/app/x.py:1)\n'.repeat(5000)}`;
    const res = await call({ kind: 'raw', id: uniqueMarker('5xx'), status: 500, headerLines: ['content-type: text/plain'], body });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_error' } });
    for (const secret of ['Traceback', 'sk-live', 'postgres://', 'hunter2']) expect(text).not.toContain(secret);
    const [line] = loggedEvents(logs.error, 'origin_error');
    expect(line).toMatchObject({ status: 500 });
    expect(String(line?.body)).toContain('Traceback (most recent call last)');
    expect(String(line?.body).length).toBeLessThan(600);
    await originFaultsSurvived.record();
  });

  it('an error event whose text is not a string, or an event that is not JSON, reads the same to the user', async () => {
    for (const bad of [`event: error\ndata: ${JSON.stringify({ message: { stack: leaky } })}\n\n`, `event: delta\ndata: ${leaky}\n\n`]) {
      const events = await readAll(await chatkit({ kind: 'raw', id: uniqueMarker('bad'), ...eventStream(START + bad) }, newThread));
      expect(events.at(-1)?.type).toBe('error');
      expect(JSON.stringify(events)).not.toContain('sk-live');
    }
  });
});
