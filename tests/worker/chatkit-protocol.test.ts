import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  EmptyResponseSchema,
  ThreadItemPageSchema,
  ThreadPageSchema,
  ThreadSchema,
  ThreadStreamEventSchema,
  ThreadWithoutItemsSchema,
  type ThreadItem,
  type ThreadStreamEvent,
} from '../../shared/chatkit';
import { ErrorBodySchema } from '../../shared/errors';
import { TaskListSchema } from '../../shared/origin';
import { handleError } from '../../worker/lib/errors';
import { loadConfig } from '../../worker/middleware/load-config';
import { requestId } from '../../worker/middleware/request-id';
import { readServerSentEvents, type ServerSentEvent } from '../../shared/sse';
import { createChatkitRoutes } from '../../worker/routes/chatkit';
import { ORIGIN_FAILED_MESSAGE } from '../../worker/chatkit-backend/stream-turn';
import type { AppEnv } from '../../worker/types';
import { waitFor } from '../helpers/wait';
import { signUpAndGetToken } from '../../origin/client';
import { loggedEvents } from './log-lines';
import { callWorker } from './support';

// /api/chatkit serves only users whose flag variant is ChatKit: put everyone in the rollout
// (KV storage is per test file, so this does not leak into other files).
beforeAll(async () => {
  await env.FLAGS.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100 } }));
});

/**
 * ChatKit's server protocol at `POST /api/chatkit` (backend mode), through the real app, against the
 * real reference origin, with real Better Auth tokens. Every JSON answer and every stream event is
 * validated against shared/chatkit.ts.
 */

// --- helpers ---------------------------------------------------------------------------------------

interface User {
  token: string;
  userId: string;
}

const originUrl = () => env.ORIGIN_URL;
const signUp = async (): Promise<User> => {
  const { token, userId } = await signUpAndGetToken(originUrl());
  return { token, userId };
};

type Fetcher = (request: Request) => Promise<Response>;

/** The real app, as the browser reaches it. */
const viaApp: Fetcher = (request) => callWorker(request.url, request);

/** The ChatKit route with the real middleware, asking the origin for its JSON reply (no SSE). */
const viaJsonOnlyOrigin: Fetcher = async (request) => {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(loadConfig());
  app.route('/', createChatkitRoutes({ originStreaming: false }));
  app.onError(handleError);
  const ctx = createExecutionContext();
  const res = await app.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
};

function chatkitRequest(user: User | null, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request('http://worker.test/api/chatkit', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const post = (user: User | null, body: unknown, headers: Record<string, string> = {}, fetcher: Fetcher = viaApp) =>
  fetcher(chatkitRequest(user, body, headers));

async function expectJson<TSchema extends v.GenericSchema>(res: Response, schema: TSchema): Promise<v.InferOutput<TSchema>> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return v.parse(schema, JSON.parse(text));
}

async function expectContractError(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = v.parse(ErrorBodySchema, JSON.parse(text));
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  return body;
}

interface ReceivedEvent {
  event: ThreadStreamEvent;
}

/**
 * Reads a ChatKit stream incrementally. Each frame must be exactly `data: <json>\n\n` (no
 * `event:`, comments or sentinels) and each event must validate. `onEvent` runs as each arrives.
 */
async function readChatkitStream(res: Response, onEvent?: (event: ThreadStreamEvent) => Promise<boolean | void> | boolean | void): Promise<ReceivedEvent[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const received: ReceivedEvent[] = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      expect(frame).toMatch(/^data: [^\n]+$/);
      const event = v.parse(ThreadStreamEventSchema, JSON.parse(frame.slice('data: '.length)));
      received.push({ event });
      if ((await onEvent?.(event)) === true) {
        await reader.cancel();
        return received;
      }
    }
  }
  expect(buffer).toBe('');
  return received;
}

async function streamEvents(res: Response): Promise<ThreadStreamEvent[]> {
  const events = (await readChatkitStream(res)).map(({ event }) => event);
  expectWellFormedTurn(events);
  return events;
}

/** A compact picture of a stream, one line per event, runs of text deltas folded into one. */
function outline(events: readonly ThreadStreamEvent[]): string[] {
  const lines: string[] = [];
  for (const event of events) {
    let line: string = event.type;
    if (event.type === 'thread.item.added' || event.type === 'thread.item.done') line = `${event.type} ${event.item.type}`;
    if (event.type === 'thread.item.updated') line = `updated ${event.update.type}`;
    if (event.type === 'client_effect') line = `client_effect ${event.name}`;
    if (line === lines.at(-1) && line.endsWith('text_delta')) continue;
    lines.push(line);
  }
  return lines;
}

/** Every `added` item is later `done` or `removed`; updates only touch open items; `error` is last. */
function expectWellFormedTurn(events: readonly ThreadStreamEvent[]): void {
  const open = new Set<string>();
  events.forEach((event, index) => {
    if (event.type === 'thread.item.added') open.add(event.item.id);
    if (event.type === 'thread.item.updated') expect(open.has(event.item_id), `update for ${event.item_id} while not open`).toBe(true);
    if (event.type === 'thread.item.done') open.delete(event.item.id);
    if (event.type === 'thread.item.removed') {
      expect(open.has(event.item_id)).toBe(true);
      open.delete(event.item_id);
    }
    if (event.type === 'error') expect(index).toBe(events.length - 1);
  });
  expect([...open], 'items added but never done or removed').toEqual([]);
}

function ofType<T extends ThreadStreamEvent['type']>(events: readonly ThreadStreamEvent[], type: T): Array<Extract<ThreadStreamEvent, { type: T }>> {
  return events.filter((event): event is Extract<ThreadStreamEvent, { type: T }> => event.type === type);
}

const userInput = (text: string) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });
const createBody = (text: string) => ({ type: 'threads.create', params: { input: userInput(text) } });
const addBody = (threadId: string, text: string) => ({ type: 'threads.add_user_message', params: { thread_id: threadId, input: userInput(text) } });

function createdThreadId(events: readonly ThreadStreamEvent[]): string {
  const [created] = ofType(events, 'thread.created');
  if (!created) throw new Error('no thread.created in the stream');
  return created.thread.id;
}

async function createThread(user: User, text: string): Promise<string> {
  return createdThreadId(await streamEvents(await post(user, createBody(text))));
}

/** Seeds a conversation straight at the origin (fast JSON path), returning its thread id. */
async function seedConversation(user: User, messages: string[]): Promise<string> {
  let conversationId: number | undefined;
  for (const message of messages) {
    const res = await fetch(`${originUrl()}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': user.userId },
      body: JSON.stringify({ message, conversation_id: conversationId }),
    });
    expect(res.status).toBe(200);
    conversationId = ((await res.json()) as { conversation_id: number }).conversation_id;
  }
  return `thr_${conversationId}`;
}

interface OriginRecord {
  method: string;
  path: string;
  headers: Record<string, string>;
  aborted: boolean;
  status: number | null;
}

async function originRequestsWithId(requestIdValue: string): Promise<OriginRecord[]> {
  const all = (await (await fetch(`${originUrl()}/__origin/requests`)).json()) as OriginRecord[];
  return all.filter((record) => record.headers['x-request-id'] === requestIdValue);
}

const uniqueRequestId = () => `chatkit-test-${crypto.randomUUID()}`;

/** What a ChatKit `Thread` must be when it is returned without items. */
function expectEmptyItems(thread: v.InferOutput<typeof ThreadSchema>): void {
  expect(v.is(ThreadWithoutItemsSchema, thread)).toBe(true);
}

// --- chat turns ------------------------------------------------------------------------------------

/** chatkit-python's order (worker/chatkit-backend/stream-turn.ts) for a new thread whose reply ran one task tool (streamed or JSON origin alike). */
const NEW_THREAD_WITH_TOOL_CALL = [
  'thread.created',
  'thread.item.done user_message',
  'stream_options',
  'thread.item.added workflow',
  'client_effect tasks.changed',
  'thread.item.done workflow',
  'thread.item.added assistant_message',
  'updated assistant_message.content_part.added',
  'updated assistant_message.content_part.text_delta',
  'updated assistant_message.content_part.done',
  'thread.item.done assistant_message',
  'thread.item.done widget',
  'thread.updated',
];

describe('threads.create and threads.add_user_message (streaming)', () => {
  it('creates a thread in chatkit-python order, and the stream matches what the thread holds afterwards', async () => {
    const user = await signUp();
    const events = await streamEvents(await post(user, createBody('What can you do?')));

    expect(outline(events)).toEqual([
      'thread.created',
      'thread.item.done user_message',
      'stream_options',
      'thread.item.added assistant_message',
      'updated assistant_message.content_part.added',
      'updated assistant_message.content_part.text_delta',
      'updated assistant_message.content_part.done',
      'thread.item.done assistant_message',
      'thread.updated',
    ]);

    const [created] = ofType(events, 'thread.created');
    expect(created!.thread).not.toHaveProperty('title');
    expect(created!.thread.id).toMatch(/^thr_\d+$/);
    expect(ofType(events, 'stream_options')[0]!.stream_options).toEqual({ allow_cancel: true });

    const [userDone, answerDone] = ofType(events, 'thread.item.done').map((event) => event.item);
    expect(userDone).toMatchObject({
      type: 'user_message',
      thread_id: created!.thread.id,
      content: [{ type: 'input_text', text: 'What can you do?' }],
      attachments: [],
      inference_options: {},
    });
    const [answerAdded] = ofType(events, 'thread.item.added');
    expect(answerAdded!.item).toMatchObject({ type: 'assistant_message', content: [] });
    expect(answerDone!.id).toBe(answerAdded!.item.id);

    // One text_delta per origin delta (several), and together they are the final text.
    const deltas = ofType(events, 'thread.item.updated').flatMap(({ update }) =>
      update.type === 'assistant_message.content_part.text_delta' ? [update.delta] : [],
    );
    expect(deltas.length).toBeGreaterThan(3);
    const finalText = answerDone!.type === 'assistant_message' ? answerDone!.content[0]!.text : '';
    expect(deltas.join('')).toBe(finalText);
    expect(finalText).toMatch(/manage your tasks/);

    const [updated] = ofType(events, 'thread.updated');
    expect(updated!.thread).toMatchObject({ id: created!.thread.id, title: 'What can you do?', items: { data: [], has_more: false } });

    // Reading the thread back gives the same ids and texts, with the origin's own times.
    const thread = await expectJson(await post(user, { type: 'threads.get_by_id', params: { thread_id: created!.thread.id } }), ThreadSchema);
    expect(thread.title).toBe('What can you do?');
    expect(thread.items.data.map((item) => [item.type, item.id])).toEqual([
      ['user_message', userDone!.id],
      ['assistant_message', answerDone!.id],
    ]);
    expect(thread.items.data[1]).toMatchObject({ content: [{ type: 'output_text', text: finalText, annotations: [] }] });
    const conversation = (await (
      await fetch(`${originUrl()}/api/v1/conversations/${created!.thread.id.slice(4)}`, { headers: { 'x-user-id': user.userId } })
    ).json()) as {
      created_at: string;
    };
    expect(thread.created_at).toBe(conversation.created_at);
  });

  it('adds a message to an existing thread: no thread.created, no thread.updated', async () => {
    const user = await signUp();
    const threadId = await createThread(user, 'hello');
    const events = await streamEvents(await post(user, addBody(threadId, 'thanks!')));
    expect(outline(events)).toEqual([
      'thread.item.done user_message',
      'stream_options',
      'thread.item.added assistant_message',
      'updated assistant_message.content_part.added',
      'updated assistant_message.content_part.text_delta',
      'updated assistant_message.content_part.done',
      'thread.item.done assistant_message',
    ]);
    for (const event of ofType(events, 'thread.item.done')) expect(event.item.thread_id).toBe(threadId);

    const thread = await expectJson(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    expect(thread.items.data.map((item) => item.type)).toEqual(['user_message', 'assistant_message', 'user_message', 'assistant_message']);
    expect(thread.items.data.map((item) => item.id).slice(2)).toEqual(ofType(events, 'thread.item.done').map((event) => event.item.id));
  });

  it('shows a tool call as a workflow item plus a tasks.changed effect, and the task really exists', async () => {
    const user = await signUp();
    const events = await streamEvents(await post(user, createBody('Add a task to buy groceries')));
    expect(outline(events)).toEqual(NEW_THREAD_WITH_TOOL_CALL);
    const workflow = ofType(events, 'thread.item.done').find((event) => event.item.type === 'workflow')!.item;
    expect(workflow).toMatchObject({
      type: 'workflow',
      workflow: { type: 'custom', expanded: false, tasks: [{ type: 'custom', title: 'Added task: buy groceries', status_indicator: 'complete' }] },
    });
    expect(ofType(events, 'client_effect')[0]).toEqual({ type: 'client_effect', name: 'tasks.changed', data: { tool: 'add_task' } });

    // The tool ran at the origin, for this user only.
    const tasks = v.parse(TaskListSchema, await (await callWorker('/api/v1/tasks', { headers: { authorization: `Bearer ${user.token}` } })).json());
    expect(tasks.map((task) => task.title)).toEqual(['buy groceries']);
    const stranger = await signUp();
    const theirs = v.parse(TaskListSchema, await (await callWorker('/api/v1/tasks', { headers: { authorization: `Bearer ${stranger.token}` } })).json());
    expect(theirs).toEqual([]);
  });

  it('turns an origin error mid-stream into an error event, after removing the half-written answer', async () => {
    const user = await signUp();
    const threadId = await createThread(user, 'hello');
    const events = await streamEvents(await post(user, addBody(threadId, 'please simulate error')));
    expect(outline(events)).toEqual([
      'thread.item.done user_message',
      'stream_options',
      'thread.item.added assistant_message',
      'updated assistant_message.content_part.added',
      'updated assistant_message.content_part.text_delta',
      'thread.item.removed',
      'error',
    ]);
    // The origin's own text stays in the log (tests/worker/origin-limits.test.ts); the user reads a generic one.
    expect(events.at(-1)).toEqual({ type: 'error', code: 'custom', message: ORIGIN_FAILED_MESSAGE, allow_retry: true });
    const [added] = ofType(events, 'thread.item.added');
    expect(ofType(events, 'thread.item.removed')[0]!.item_id).toBe(added!.item.id);

    // The origin kept the user message only; the thread reads back the same way.
    const items = await expectJson(await post(user, { type: 'items.list', params: { thread_id: threadId, order: 'asc' } }), ThreadItemPageSchema);
    expect(items.data.map((item) => item.type)).toEqual(['user_message', 'assistant_message', 'user_message']);
  });

  it('works the same when the origin answers JSON only (no event stream)', async () => {
    const user = await signUp();
    const marker = uniqueRequestId();
    const events = await streamEvents(await post(user, createBody('Add a task to call mom'), { 'x-request-id': marker }, viaJsonOnlyOrigin));
    expect(outline(events)).toEqual(NEW_THREAD_WITH_TOOL_CALL);
    const [chatCall] = (await originRequestsWithId(marker)).filter((record) => record.path === '/api/v1/chat');
    expect(chatCall?.headers.accept).toBe('application/json');

    const threadId = createdThreadId(events);
    const added = await streamEvents(await post(user, addBody(threadId, 'show my tasks'), {}, viaJsonOnlyOrigin));
    expect(outline(added)).toEqual([
      'thread.item.done user_message',
      'stream_options',
      'thread.item.added workflow',
      'client_effect tasks.changed',
      'thread.item.done workflow',
      'thread.item.added assistant_message',
      'updated assistant_message.content_part.added',
      'updated assistant_message.content_part.text_delta',
      'updated assistant_message.content_part.done',
      'thread.item.done assistant_message',
      'thread.item.done widget',
    ]);
    const answer = ofType(added, 'thread.item.done').at(-2)!.item;
    expect(answer).toMatchObject({ content: [{ text: expect.stringContaining('call mom') }] });

    // An origin error in a JSON reply is a 500 before any stream: the contract's 502.
    await expectContractError(await post(user, addBody(threadId, 'simulate error'), {}, viaJsonOnlyOrigin), 502, 'upstream_error');
  });

  it('writes the first text_delta while the origin is still answering, and cancels the origin when the browser leaves', async () => {
    const user = await signUp();
    const threadId = await createThread(user, 'hello');

    const marker = uniqueRequestId();
    let originBusyAtFirstDelta: boolean | undefined;
    const events = await readChatkitStream(await post(user, addBody(threadId, 'what can you do?'), { 'x-request-id': marker }), async (event) => {
      if (event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta' && originBusyAtFirstDelta === undefined) {
        const [chat] = (await originRequestsWithId(marker)).filter((record) => record.path === '/api/v1/chat');
        originBusyAtFirstDelta = chat?.status === null;
      }
    });
    expect(originBusyAtFirstDelta).toBe(true);
    expect(events.at(-1)!.event.type).toBe('thread.item.done');

    // Now hang up right after the first delta: the origin's request is aborted too.
    const leaving = uniqueRequestId();
    const partial = await readChatkitStream(
      await post(user, addBody(threadId, 'what can you do?'), { 'x-request-id': leaving }),
      (event) => event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta',
    );
    expect(partial.at(-1)!.event.type).toBe('thread.item.updated');
    const aborted = await waitFor(async () => (await originRequestsWithId(leaving)).find((record) => record.path === '/api/v1/chat' && record.aborted), {
      description: 'the origin chat request to be aborted',
    });
    expect(aborted.status).toBeNull();
  });

  it('accepts what the client may send: empty quoted_text, tags without data, extra fields, metadata', async () => {
    const user = await signUp();
    const body = {
      type: 'threads.create',
      metadata: {},
      future_field: true,
      params: {
        input: {
          content: [
            { type: 'input_text', text: 'show ', extra: 1 },
            { type: 'input_tag', id: 'tag-1', text: '@someone' },
            { type: 'input_text', text: 'my tasks' },
          ],
          attachments: [],
          quoted_text: '',
          inference_options: { tool_choice: null, model: null },
        },
      },
    };
    const events = await streamEvents(await post(user, body));
    const userItem = ofType(events, 'thread.item.done')[0]!.item;
    expect(userItem).toMatchObject({ type: 'user_message', content: [{ type: 'input_text', text: 'show my tasks' }] });
    expect(userItem).not.toHaveProperty('quoted_text');
    const withNullQuote = { ...body, params: { input: { ...body.params.input, quoted_text: null, inference_options: {} } } };
    await streamEvents(await post(user, withNullQuote));
  });

  it('sends the token user as X-User-Id, whatever identity headers the browser adds', async () => {
    const user = await signUp();
    const marker = uniqueRequestId();
    await expectJson(await post(user, { type: 'threads.list', params: {} }, { 'x-request-id': marker, 'x-user-id': 'victim' }), ThreadPageSchema);
    const [call] = await originRequestsWithId(marker);
    expect(call?.headers['x-user-id']).toBe(user.userId);
  });
});

// --- history ---------------------------------------------------------------------------------------

describe('threads.list, threads.get_by_id and items.list', () => {
  it('pages threads by creation time, desc by default, with after/has_more', async () => {
    const user = await signUp();
    const first = await seedConversation(user, ['first']);
    const second = await seedConversation(user, ['second']);
    const third = await seedConversation(user, ['third']);
    // Activity in the oldest thread must not reorder the list (ChatKit orders by created_at).
    await fetch(`${originUrl()}/api/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': user.userId },
      body: JSON.stringify({ message: 'more', conversation_id: Number(first.slice(4)) }),
    });

    const list = (params: Record<string, unknown>) => post(user, { type: 'threads.list', params }).then((res) => expectJson(res, ThreadPageSchema));

    const page1 = await list({ limit: 2 });
    expect(page1.data.map((thread) => thread.id)).toEqual([third, second]);
    expect(page1).toMatchObject({ has_more: true, after: second });
    expect(page1.data[0]).toMatchObject({ title: 'third', status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } });

    const page2 = await list({ limit: 2, after: page1.after });
    expect(page2.data.map((thread) => thread.id)).toEqual([first]);
    expect(page2.has_more).toBe(false);
    expect(page2).not.toHaveProperty('after');

    const ascending = await list({ order: 'asc', limit: 1 });
    expect(ascending).toMatchObject({ data: [{ id: first }], has_more: true, after: first });
    expect((await list({ order: 'asc', limit: 5, after: first })).data.map((thread) => thread.id)).toEqual([second, third]);

    // limit null / 0 / missing → 20.
    for (const params of [{}, { limit: null }, { limit: 0 }, { limit: null, order: null, after: null }]) {
      const all = await list(params);
      expect(all.data.map((thread) => thread.id)).toEqual([third, second, first]);
      expect(all).toEqual({ data: all.data, has_more: false });
    }
    await expectContractError(await post(user, { type: 'threads.list', params: { after: 'thr_999999999' } }), 400, 'bad_request');
  });

  it('get_by_id returns the oldest 20 items ascending; items.list pages through them both ways', async () => {
    const user = await signUp();
    const threadId = await seedConversation(
      user,
      Array.from({ length: 11 }, (_, i) => `hello ${i}`),
    );

    const thread = await expectJson(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    expect(thread.items.data).toHaveLength(20);
    expect(thread.items.has_more).toBe(true);
    expect(thread.items.after).toBe(thread.items.data[19]!.id);
    expect(thread.items.data[0]).toMatchObject({ type: 'user_message', content: [{ text: 'hello 0' }] });
    expect(thread.items.data.map((item) => item.type)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'user_message' : 'assistant_message')));

    const items = (params: Record<string, unknown>) =>
      post(user, { type: 'items.list', params: { thread_id: threadId, ...params } }).then((res) => expectJson(res, ThreadItemPageSchema));

    const rest = await items({ order: 'asc', after: thread.items.after });
    expect(rest.data.map((item) => item.type)).toEqual(['user_message', 'assistant_message']);
    expect(rest.has_more).toBe(false);

    // desc (the default): newest first, then older pages.
    const all: ThreadItem[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await items({ limit: 5, ...(after ? { after } : {}) });
      all.push(...page.data);
      after = page.after;
      pages++;
    } while (after);
    expect(pages).toBe(5);
    expect(all).toHaveLength(22);
    expect(all.map((item) => item.id)).toEqual([...thread.items.data, ...rest.data].map((item) => item.id).reverse());
    const messages = (
      (await (await fetch(`${originUrl()}/api/v1/conversations/${threadId.slice(4)}`, { headers: { 'x-user-id': user.userId } })).json()) as {
        messages: Array<{ id: number }>;
      }
    ).messages;
    // Every item is named by its message's own id.
    expect(all.map((item) => item.id).reverse()).toEqual(messages.map((message) => `msg_${message.id}`));

    // An older origin's stream name for an answer (`msg_<user message id>_reply`) works as a cursor too.
    const afterFirstAnswer = await items({ order: 'asc', limit: 1, after: `msg_${messages[0]!.id}_reply` });
    expect(afterFirstAnswer.data[0]).toMatchObject({ type: 'user_message', content: [{ text: 'hello 1' }] });

    await expectContractError(await post(user, { type: 'items.list', params: { thread_id: threadId, after: 'msg_999999999' } }), 400, 'bad_request');
  });
});

describe('threads.update, threads.delete, items.feedback', () => {
  afterEach(() => vi.restoreAllMocks());

  it('renames a thread (an items-less Thread comes back) and refuses an empty title', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hello']);
    const renamed = await expectJson(await post(user, { type: 'threads.update', params: { thread_id: threadId, title: 'Groceries' } }), ThreadSchema);
    expectEmptyItems(renamed);
    expect(renamed).toMatchObject({ id: threadId, title: 'Groceries' });
    const list = await expectJson(await post(user, { type: 'threads.list', params: {} }), ThreadPageSchema);
    expect(list.data[0]!.title).toBe('Groceries');
    await expectContractError(await post(user, { type: 'threads.update', params: { thread_id: threadId, title: '   ' } }), 400, 'bad_request');
  });

  it('deletes a thread; it is gone afterwards', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hello']);
    expect(await expectJson(await post(user, { type: 'threads.delete', params: { thread_id: threadId } }), EmptyResponseSchema)).toEqual({});
    await expectContractError(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), 404, 'not_found');
    await expectContractError(await post(user, { type: 'threads.delete', params: { thread_id: threadId } }), 404, 'not_found');
  });

  it('records feedback as a structured log line and answers {}', async () => {
    const user = await signUp();
    const threadId = await createThread(user, 'hello');
    const thread = await expectJson(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    const answerId = thread.items.data[1]!.id;
    const logged = vi.spyOn(console, 'log');
    const marker = uniqueRequestId();
    const res = await post(
      user,
      { type: 'items.feedback', params: { thread_id: threadId, item_ids: [answerId], kind: 'positive' } },
      { 'x-request-id': marker },
    );
    expect(await expectJson(res, EmptyResponseSchema)).toEqual({});
    expect(loggedEvents(logged, 'chatkit_feedback')[0]).toMatchObject({
      level: 'info',
      kind: 'positive',
      item_ids: [answerId],
      thread_id: threadId,
      user_id: user.userId,
      request_id: marker,
    });
    await expectContractError(
      await post(user, { type: 'items.feedback', params: { thread_id: threadId, item_ids: ['msg_999999999'], kind: 'negative' } }),
      404,
      'not_found',
    );
  });
});

// --- refusals and errors -----------------------------------------------------------------------------

describe('what the adapter refuses', () => {
  it('answers unsupported non-streaming types with 400 unsupported_request', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hello']);
    for (const body of [
      { type: 'attachments.create', params: { name: 'a.png', size: 10, mime_type: 'image/png' } },
      { type: 'attachments.delete', params: { attachment_id: 'atc_1' } },
      { type: 'input.transcribe', params: { audio_base64: 'AAAA', mime_type: 'audio/webm;codecs=opus' } },
    ]) {
      await expectContractError(await post(user, body), 400, 'unsupported_request');
    }
  });

  it('answers unsupported streaming types (and attachments) with a single error event, no retry', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hello']);
    for (const body of [
      { type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: 'msg_1' } },
      { type: 'threads.add_client_tool_output', params: { thread_id: threadId, result: { ok: true } } },
      { type: 'threads.add_structured_input', params: { thread_id: threadId, item_id: 'msg_1', input: { answers: {} } } },
      { type: 'threads.create', params: { input: { ...userInput('look at this'), attachments: ['atc_1'] } } },
      { type: 'threads.add_user_message', params: { thread_id: threadId, input: { ...userInput('look'), attachments: ['atc_1'] } } },
    ]) {
      const events = await streamEvents(await post(user, body));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'error', code: 'custom', message: expect.any(String), allow_retry: false });
    }
    // Nothing reached the origin's chat: the thread still holds its one exchange.
    const items = await expectJson(await post(user, { type: 'items.list', params: { thread_id: threadId } }), ThreadItemPageSchema);
    expect(items.data).toHaveLength(2);
  });

  it('answers malformed requests with 400 bad_request', async () => {
    const user = await signUp();
    for (const body of [
      'not json',
      '[]',
      { params: {} },
      { type: 'threads.get', params: {} },
      { type: 'threads.get_by_id' },
      { type: 'threads.get_by_id', params: {} },
      { type: 'threads.list', params: { limit: -1 } },
      { type: 'threads.list', params: { order: 'sideways' } },
      { type: 'items.feedback', params: { thread_id: 'thr_1', item_ids: [], kind: 'meh' } },
    ]) {
      await expectContractError(await post(user, body), 400, 'bad_request');
    }
  });

  it('requires a valid Bearer token: 401 JSON otherwise', async () => {
    const res = await post(null, { type: 'threads.list', params: {} });
    await expectContractError(res, 401, 'unauthorized');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    await expectContractError(await post({ token: 'not-a-token', userId: '' }, { type: 'threads.list', params: {} }), 401, 'unauthorized');
  });

  it("answers another user's thread exactly like a missing one, for every request type", async () => {
    const owner = await signUp();
    const other = await signUp();
    const ownersThread = await createThread(owner, 'my private thread');
    const ownersItem = (await expectJson(await post(owner, { type: 'threads.get_by_id', params: { thread_id: ownersThread } }), ThreadSchema)).items.data[0]!
      .id;

    const requests = (threadId: string) => [
      { type: 'threads.get_by_id', params: { thread_id: threadId } },
      { type: 'items.list', params: { thread_id: threadId } },
      { type: 'threads.update', params: { thread_id: threadId, title: 'mine now' } },
      { type: 'threads.delete', params: { thread_id: threadId } },
      { type: 'items.feedback', params: { thread_id: threadId, item_ids: [ownersItem], kind: 'negative' } },
      addBody(threadId, 'hello?'),
    ];
    const answer = async (body: unknown) => {
      const res = await post(other, body);
      const error = (await expectContractError(res, 404, 'not_found')).error;
      return { status: res.status, code: error.code, message: error.message };
    };

    for (const [index, body] of requests(ownersThread).entries()) {
      const foreign = await answer(body);
      for (const missing of ['thr_999999999', 'thr_0', 'thr_01', 'cthr_abc', `${ownersThread} `, 'thr_1e3']) {
        expect(await answer(requests(missing)[index]), `${JSON.stringify(body)} vs ${missing}`).toEqual(foreign);
      }
    }
    // Nothing was changed, nothing leaked into the other user's list.
    const thread = await expectJson(await post(owner, { type: 'threads.get_by_id', params: { thread_id: ownersThread } }), ThreadSchema);
    expect(thread).toMatchObject({ title: 'my private thread' });
    expect(thread.items.data).toHaveLength(2);
    expect((await expectJson(await post(other, { type: 'threads.list', params: {} }), ThreadPageSchema)).data).toEqual([]);
  });

  it('answers 502 JSON (not a stream) when the origin is unreachable', async () => {
    const user = await signUp();
    const unreachable = (body: unknown) => callWorker('/api/chatkit', chatkitRequest(user, body), { ORIGIN_URL: 'http://127.0.0.1:9' });
    await expectContractError(await unreachable({ type: 'threads.list', params: {} }), 502, 'upstream_error');
    await expectContractError(await unreachable(createBody('hello')), 502, 'upstream_error');
  });

  it('answers 504 when the origin is too slow, 502 when it answers 5xx or garbage', async () => {
    const user = await signUp();
    // The origin's misbehaving test routes, reached by making every adapter path a query string
    // of them (`<route>?/api/v1/conversations`).
    const misbehaving = (route: string, extra: Record<string, string> = {}) =>
      callWorker('/api/chatkit', chatkitRequest(user, { type: 'threads.list', params: {} }), {
        ORIGIN_URL: `${originUrl()}/api/v1/__test/${route}?`,
        ...extra,
      });
    // The origin never answers: a 504 naming the configured budget is the worker's own deadline.
    const slow = await expectContractError(await misbehaving('hang', { ORIGIN_TIMEOUT_MS: '300' }), 504, 'upstream_timeout');
    expect(slow.error.message).toMatch(/300 ms/);
    const failing = await expectContractError(await misbehaving('status/500'), 502, 'upstream_error');
    expect(JSON.stringify(failing)).not.toContain('on purpose'); // the origin's own error text stays at the origin
    await expectContractError(await misbehaving('garbage'), 502, 'upstream_error');
  });
});

// --- SSE reading, unit level -----------------------------------------------------------------------------

describe('readServerSentEvents', () => {
  const streamOf = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
  const readAll = async (chunks: string[]) => {
    const messages: ServerSentEvent[] = [];
    for await (const message of readServerSentEvents(streamOf(chunks))) messages.push(message);
    return messages;
  };

  it('parses events split anywhere, with any line ending, comments and multi-line data', async () => {
    // CR-only line ends too; a lone CR at the very end of a body stays ambiguous (it could be the
    // first half of CRLF), so the body goes on with a comment, as a live stream would.
    const text = ': hello\r\nevent: start\r\ndata: {"a":1}\r\n\r\nevent:delta\ndata: one\ndata:two\n\n\rdata: plain\r\r: more\n';
    const expected = [
      { event: 'start', data: '{"a":1}' },
      { event: 'delta', data: 'one\ntwo' },
      { event: 'message', data: 'plain' },
    ];
    expect(await readAll([text])).toEqual(expected);
    // Every split point, including between \r and \n.
    for (let i = 1; i < text.length; i++) expect(await readAll([text.slice(0, i), text.slice(i)])).toEqual(expected);
  });

  it('drops an event the body cut off, and cancels the body when the reader stops early', async () => {
    expect(await readAll(['event: done\ndata: {"x":1}\n'])).toEqual([]);
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const message of readServerSentEvents(body)) {
      expect(message.data).toBe('tick');
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe('gated by the flag variant', () => {
  it('a rolled-back deployment refuses /api/chatkit with 403 chatkit_disabled before reaching the origin', async () => {
    const user = await signUpAndGetToken(inject('originUrl'));
    const res = await callWorker(
      '/api/chatkit',
      { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: JSON.stringify({ type: 'threads.list', params: {} }) },
      { ROLLBACK_CHAT: 'true' },
    );
    expect(res.status).toBe(403);
    expect(v.parse(ErrorBodySchema, await res.json()).error.code).toBe('chatkit_disabled');
  });
});

// --- continuity: history items, retry, stable ids, stopped answers ---------------------------------------

describe('history shows what the stream showed; retry; ids that stay put', () => {
  const getThread = (user: User, threadId: string) =>
    post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }).then((res) => expectJson(res, ThreadSchema));
  const doneItems = (events: readonly ThreadStreamEvent[]) => ofType(events, 'thread.item.done').map((event) => event.item);
  const retryBody = (threadId: string, itemId: string) => ({ type: 'threads.retry_after_item', params: { thread_id: threadId, item_id: itemId } });

  it('refuses an empty or over-long message in the stream, in words (no HTTP status), and stores nothing', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hello']);
    const tagOnly = { content: [{ type: 'input_tag', id: 't', text: '@x', data: {} }], attachments: [] };
    for (const body of [
      createBody('   '),
      { type: 'threads.create', params: { input: tagOnly } },
      createBody('x'.repeat(4001)),
      addBody(threadId, `  ${'y'.repeat(4500)}  `),
    ]) {
      const events = await streamEvents(await post(user, body));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'error', code: 'custom', allow_retry: false });
      const message = (events[0] as { message: string }).message;
      expect(message).not.toMatch(/HTTP|\b4\d\d\b/);
    }
    const over = (await streamEvents(await post(user, addBody(threadId, 'z'.repeat(4321)))))[0] as { message: string };
    expect(over.message).toBe('Messages can be at most 4,000 characters; this one has 4,321. Please shorten it and send it again.');
    expect((await getThread(user, threadId)).items.data).toHaveLength(2);
    expect((await streamEvents(await post(user, addBody(threadId, 'a'.repeat(4000))))).at(-1)?.type).toBe('thread.item.done');
  });

  it('a reloaded thread shows the workflow item the live stream showed, under the same ids', async () => {
    const user = await signUp();
    const events = await streamEvents(await post(user, createBody('Add a task to buy milk')));
    const threadId = createdThreadId(events);
    const [userItem, workflow, answer, widget] = doneItems(events);
    expect([userItem?.type, workflow?.type, answer?.type, widget?.type]).toEqual(['user_message', 'workflow', 'assistant_message', 'widget']);
    const listed = (await getThread(user, threadId)).items.data;
    expect(listed.map((item) => item.id)).toEqual([userItem!.id, workflow!.id, answer!.id, widget!.id]);
    expect(listed[1]).toMatchObject({ type: 'workflow', workflow: (workflow as Extract<ThreadItem, { type: 'workflow' }>).workflow });
    expect(listed[2]).toMatchObject({ content: (answer as Extract<ThreadItem, { type: 'assistant_message' }>).content });
    expect(answer!.id).toMatch(/^msg_\d+$/);
    expect(workflow!.id).toBe(answer!.id.replace('msg_', 'wf_'));
  });

  it('an origin whose messages carry no tool_calls still lists (no workflow items)', async () => {
    const { ConversationDetailSchema } = await import('../../shared/origin');
    const { threadItemsFromMessages } = await import('../../worker/chatkit-backend/thread-items');
    const detail = v.parse(ConversationDetailSchema, {
      id: 7,
      title: 't',
      created_at: '2026-05-01T10:00:00.000Z',
      updated_at: '2026-05-01T10:00:00.000Z',
      messages: [
        { id: 1, role: 'user', content: 'add a task to x', created_at: '2026-05-01T10:00:00.000Z' },
        { id: 2, role: 'assistant', content: 'Added "x".', created_at: '2026-05-01T10:00:01.000Z' },
      ],
    });
    const items = threadItemsFromMessages(detail.id, detail.messages, []);
    expect(items.map((item) => [item.type, item.id])).toEqual([
      ['user_message', 'msg_1'],
      ['assistant_message', 'msg_2'],
    ]);
    expect(v.is(ThreadItemPageSchema, { data: items, has_more: false })).toBe(true);
  });

  it('threads.retry_after_item streams a fresh answer; the history no longer holds the old one or anything after it', async () => {
    const user = await signUp();
    const first = await streamEvents(await post(user, createBody('hello')));
    const threadId = createdThreadId(first);
    const [question, oldAnswer] = doneItems(first);
    const second = await streamEvents(await post(user, addBody(threadId, 'show my tasks')));
    const laterIds = doneItems(second).map((item) => item.id);

    const received = (await readChatkitStream(await post(user, retryBody(threadId, question!.id)))).map(({ event }) => event);
    expect(outline(received)).toEqual([
      'stream_options',
      ...laterIds.map(() => 'thread.item.removed'),
      'thread.item.removed',
      'thread.item.added assistant_message',
      'updated assistant_message.content_part.added',
      'updated assistant_message.content_part.text_delta',
      'updated assistant_message.content_part.done',
      'thread.item.done assistant_message',
    ]);
    expect(
      ofType(received, 'thread.item.removed')
        .map((event) => event.item_id)
        .sort(),
    ).toEqual([oldAnswer!.id, ...laterIds].sort());
    const [fresh] = doneItems(received);
    expect(fresh!.id).not.toBe(oldAnswer!.id);

    const listed = (await getThread(user, threadId)).items.data;
    expect(listed.map((item) => item.id)).toEqual([question!.id, fresh!.id]);
    expect(listed[1]).toMatchObject({ content: (fresh as Extract<ThreadItem, { type: 'assistant_message' }>).content });
  });

  it('allow_retry is true exactly where threads.retry_after_item is then accepted', async () => {
    const user = await signUp();
    // The origin fails after storing the question: retry allowed, and a retry is accepted (it
    // streams a new attempt, which this origin fails again on purpose).
    const failed = await streamEvents(await post(user, createBody('please simulate error')));
    expect(failed.at(-1)).toMatchObject({ type: 'error', allow_retry: true });
    const threadId = createdThreadId(failed);
    const [question] = doneItems(failed);
    const retried = (await readChatkitStream(await post(user, retryBody(threadId, question!.id)))).map(({ event }) => event);
    expect(retried[0]?.type).toBe('stream_options');

    // Refusals say no retry, and a retry of something that is not the user's message is refused.
    const seeded = await seedConversation(user, ['hello']);
    const items = (await getThread(user, seeded)).items.data;
    for (const itemId of [items[1]!.id, 'msg_999999999', 'wf_1', 'nonsense']) {
      const events = await streamEvents(await post(user, retryBody(seeded, itemId)));
      expect(events).toEqual([{ type: 'error', code: 'custom', message: expect.any(String), allow_retry: false }]);
    }
    expect((await getThread(user, seeded)).items.data.map((item) => item.id)).toEqual(items.map((item) => item.id));
    const other = await signUp();
    await expectContractError(await post(other, retryBody(seeded, items[0]!.id)), 404, 'not_found');
  });

  it('two interleaved add_user_message turns on one thread: each answer keeps its streamed id in later listings', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hi']);
    // A long first answer (a list of 30 tasks, streamed in small chunks), so the second question
    // reaches the origin while the first answer is still being written (and not yet stored).
    for (let i = 1; i <= 30; i++) {
      await fetch(`${originUrl()}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': user.userId },
        body: JSON.stringify({ title: `chore number ${i}` }),
      });
    }
    let releaseSecond: () => void = () => {};
    const firstStarted = new Promise<void>((resolve) => (releaseSecond = resolve));
    const turn = async (text: string, onEvent?: (event: ThreadStreamEvent) => void) =>
      (await readChatkitStream(await post(user, addBody(threadId, text)), (event) => void onEvent?.(event))).map(({ event }) => event);
    const [one, two] = await Promise.all([
      turn('show my tasks', (event) => {
        if (event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta') releaseSecond();
      }),
      firstStarted.then(() => turn('hello there')),
    ]);
    const answerOf = (events: readonly ThreadStreamEvent[]) =>
      doneItems(events).find((item) => item.type === 'assistant_message') as Extract<ThreadItem, { type: 'assistant_message' }>;
    const listed = (await getThread(user, threadId)).items.data;
    // The second question was stored before the first answer: a derivation from message order
    // would now name the first answer after the second question.
    expect(listed.slice(2, 4).map((item) => item.type)).toEqual(['user_message', 'user_message']);
    for (const events of [one, two]) {
      const answer = answerOf(events);
      const same = listed.find((item) => item.id === answer.id);
      expect(same, `${answer.id} is listed`).toMatchObject({ type: 'assistant_message', content: answer.content });
    }
    expect(new Set(listed.map((item) => item.id)).size).toBe(listed.length);
    const feedback = await post(user, {
      type: 'items.feedback',
      params: { thread_id: threadId, item_ids: [answerOf(one).id, answerOf(two).id], kind: 'positive' },
    });
    await expectJson(feedback, EmptyResponseSchema);
  });

  it('a stopped answer keeps what was shown, under its streamed id, marked stopped after a reload', async () => {
    const user = await signUp();
    const threadId = await seedConversation(user, ['hi']);
    let answerId = '';
    let shown = '';
    await readChatkitStream(await post(user, addBody(threadId, 'hello')), (event) => {
      if (event.type === 'thread.item.added' && event.item.type === 'assistant_message') answerId = event.item.id;
      if (event.type === 'thread.item.updated' && event.update.type === 'assistant_message.content_part.text_delta') {
        shown += event.update.delta;
        return true; // the user pressed stop: the browser leaves
      }
    });
    const stopped = await waitFor(
      async () => {
        const items = (await getThread(user, threadId)).items.data;
        return items.find((item) => item.id === answerId) ?? null;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const text = (stopped as Extract<ThreadItem, { type: 'assistant_message' }>).content[0]!.text;
    expect(text.startsWith(shown)).toBe(true);
    expect(text.endsWith('*(Stopped)*')).toBe(true);
  });
});

describe('an origin whose start event has no assistant_message_id', () => {
  it('keeps the older derivation in the stream: msg_<user message id>_reply and wf_<user message id>, every event valid', async () => {
    const { relayTurnAsChatkitEvents } = await import('../../worker/chatkit-backend/stream-turn');
    const { OriginClient } = await import('../../worker/chatkit-backend/origin-client');
    const sent: ThreadStreamEvent[] = [];
    const sink = {
      send: (event: ThreadStreamEvent) => void sent.push(v.parse(ThreadStreamEventSchema, event)),
      ready: () => Promise.resolve(),
      closed: false,
      signal: new AbortController().signal,
    };
    async function* olderOrigin() {
      yield { name: 'start' as const, data: { conversation_id: 5, user_message_id: 9, title: 'hello' } };
      yield { name: 'tool' as const, data: { name: 'list_tasks', arguments: {}, result: { tasks: [] } } };
      yield { name: 'delta' as const, data: { text: 'You have no tasks yet.' } };
      yield {
        name: 'done' as const,
        data: { conversation_id: 5, message_id: 10, user_message_id: 9, response: 'You have no tasks yet.', tool_calls: [], title: 'hello' },
      };
    }
    const limits = { streamIdleMs: 30_000, maxAnswerBytes: 1_048_576, maxJsonBytes: 4_194_304 };
    const client = new OriginClient({ originUrl: 'http://127.0.0.1:9', userId: 'u', requestId: 'r', timeoutMs: 1000, limits });
    await relayTurnAsChatkitEvents(sink, { kind: 'stream', events: olderOrigin() }, { kind: 'add', message: 'show my tasks', client, requestId: 'r' });
    expectWellFormedTurn(sent);
    expect(ofType(sent, 'thread.item.done').map((event) => event.item.id)).toEqual(['msg_9', 'wf_9', 'msg_9_reply']);
  });
});
