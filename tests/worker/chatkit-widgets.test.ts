import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SyncCustomActionResponseSchema,
  ThreadItemPageSchema,
  ThreadSchema,
  ThreadStreamEventSchema,
  type ThreadItem,
  type ThreadStreamEvent,
  type WidgetItem,
} from '../../shared/chatkit';
import { ListViewSchema, type ListViewItem } from '../../shared/chatkit-widgets';
import { ErrorBodySchema } from '../../shared/errors';
import { TaskListSchema, type Task } from '../../shared/origin';
import { signUpAndGetToken } from '../../origin/client';
import { callWorker } from './support';

/**
 * The task widget (issue 18) at `POST /api/chatkit`, through the real app against the reference
 * origin with real Better Auth tokens: the widget item after a task turn, in the stream and in
 * the listings, and its three actions on both paths (`threads.custom_action` streamed,
 * `threads.sync_custom_action` JSON). Every frame and document is validated with the strict
 * schemas of shared/chatkit.ts and shared/chatkit-widgets.ts, and the origin's task list is read
 * back after each action.
 */

beforeAll(async () => {
  await env.FLAGS.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100 } }));
});

interface User {
  token: string;
  userId: string;
}

const originUrl = () => env.ORIGIN_URL;
const signUp = async (): Promise<User> => signUpAndGetToken(originUrl());

type Overrides = Partial<Record<keyof Env, unknown>>;

function post(user: User, body: unknown, headers: Record<string, string> = {}, overrides: Overrides = {}): Promise<Response> {
  return callWorker(
    '/api/chatkit',
    { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers }, body: JSON.stringify(body) },
    overrides,
  );
}

async function json<TSchema extends v.GenericSchema>(res: Response, schema: TSchema): Promise<v.InferOutput<TSchema>> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return v.parse(schema, JSON.parse(text));
}

async function contractError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(v.parse(ErrorBodySchema, JSON.parse(text)).error.code).toBe(code);
}

/** Every frame exactly `data: <json>\n\n`, every event valid under the strict schemas. */
async function events(res: Response): Promise<ThreadStreamEvent[]> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      expect(frame).toMatch(/^data: [^\n]+$/);
      return v.parse(ThreadStreamEventSchema, JSON.parse(frame.slice('data: '.length)));
    });
}

const userInput = (text: string) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });

/** Starts a thread through the adapter; returns its id and the stream's events. */
async function createThread(user: User, text: string): Promise<{ threadId: string; stream: ThreadStreamEvent[] }> {
  const stream = await events(await post(user, { type: 'threads.create', params: { input: userInput(text) } }));
  const created = stream.find((event) => event.type === 'thread.created');
  if (created?.type !== 'thread.created') throw new Error('no thread.created');
  return { threadId: created.thread.id, stream };
}

async function addMessage(user: User, threadId: string, text: string): Promise<ThreadStreamEvent[]> {
  return events(await post(user, { type: 'threads.add_user_message', params: { thread_id: threadId, input: userInput(text) } }));
}

/** A task turn stored straight at the origin (no adapter, so no rate-limit count): its thread and widget ids. */
async function seedTaskTurn(user: User, message: string): Promise<{ threadId: string; widgetId: string }> {
  const res = await fetch(`${originUrl()}/api/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': user.userId },
    body: JSON.stringify({ message }),
  });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as { conversation_id: number; message_id: number };
  return { threadId: `thr_${reply.conversation_id}`, widgetId: `wg_${reply.message_id}` };
}

async function originTasks(user: User): Promise<Task[]> {
  const res = await fetch(`${originUrl()}/api/v1/tasks`, { headers: { 'x-user-id': user.userId } });
  return v.parse(TaskListSchema, await res.json());
}

function widgetItems(stream: readonly ThreadStreamEvent[]): WidgetItem[] {
  return stream.flatMap((event) =>
    (event.type === 'thread.item.done' || event.type === 'thread.item.replaced') && event.item.type === 'widget' ? [event.item] : [],
  );
}

function rows(item: ThreadItem | undefined): ListViewItem[] {
  if (item?.type !== 'widget') throw new Error(`expected a widget item, got ${item?.type}`);
  return v.parse(ListViewSchema, item.widget).children;
}

/** A row as words: title, state, and the actions its buttons send. */
function describeRow(row: ListViewItem): string {
  const texts: string[] = [];
  const actions: string[] = [];
  const walk = (components: readonly unknown[]) => {
    for (const component of components as Array<Record<string, unknown>>) {
      if (component.type === 'Text') texts.push(`${component.lineThrough ? '~' : ''}${String(component.value)}`);
      if (component.type === 'Caption') texts.push(`(${String(component.value)})`);
      const action = component.onClickAction as { type: string; payload: { task_id: number } } | undefined;
      if (component.type === 'Button' && action) actions.push(`${String(component.label)}→${action.type}#${action.payload.task_id}`);
      if (Array.isArray(component.children)) walk(component.children);
    }
  };
  walk(row.children);
  return [...texts, ...actions].join(' ');
}

const streamed = (threadId: string, itemId: string | null, type: string, payload: unknown) => ({
  type: 'threads.custom_action',
  params: { thread_id: threadId, item_id: itemId, action: { type, payload } },
});
const sync = (threadId: string, itemId: string | null, type: string, payload: unknown) => ({
  type: 'threads.sync_custom_action',
  params: { thread_id: threadId, item_id: itemId, action: { type, payload } },
});

describe('the task widget in the conversation', () => {
  it('follows the answer of a task turn, one row per task, in the stream and in every listing under the same id', async () => {
    const user = await signUp();
    const { threadId, stream } = await createThread(user, 'Add a task to buy milk');
    const [task] = await originTasks(user);
    expect(task?.title).toBe('buy milk');

    const done = stream.flatMap((event) => (event.type === 'thread.item.done' ? [event.item] : []));
    expect(done.map((item) => item.type)).toEqual(['user_message', 'workflow', 'assistant_message', 'widget']);
    const widget = done[3]!;
    expect(widget.id).toBe(done[2]!.id.replace('msg_', 'wg_'));
    expect(rows(widget).map(describeRow)).toEqual([`buy milk (Open) Complete→tasks.complete#${task!.id} Delete→tasks.delete#${task!.id}`]);

    const thread = await json(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    expect(thread.items.data.map((item) => item.id)).toEqual(done.map((item) => item.id));
    expect(thread.items.data[3]).toMatchObject({ type: 'widget', widget: (widget as WidgetItem).widget });

    // A listing turn shows every task it listed; items.list returns both widgets in order.
    await addMessage(user, threadId, 'add a task to call mom');
    const listing = await addMessage(user, threadId, 'show my tasks');
    expect(
      rows(widgetItems(listing)[0])
        .map(describeRow)
        .map((line) => line.split(' (')[0]),
    ).toEqual(['buy milk', 'call mom']);
    const page = await json(await post(user, { type: 'items.list', params: { thread_id: threadId, order: 'asc', limit: 50 } }), ThreadItemPageSchema);
    expect(page.data.filter((item) => item.type === 'widget')).toHaveLength(3);
    expect(page.data.map((item) => item.type).slice(-2)).toEqual(['assistant_message', 'widget']);
  });

  it('always shows the task as the origin has it now, also after a change made elsewhere', async () => {
    const user = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(user, 'add a task to water plants');
    const [task] = await originTasks(user);
    const patched = await fetch(`${originUrl()}/api/v1/tasks/${task!.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-user-id': user.userId },
      body: JSON.stringify({ completed: true }),
    });
    expect(patched.status).toBe(200);
    const thread = await json(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    const widget = thread.items.data.find((item) => item.id === widgetId);
    expect(rows(widget).map(describeRow)).toEqual([`~water plants (Done) Reopen→tasks.reopen#${task!.id} Delete→tasks.delete#${task!.id}`]);
    expect(widget).toMatchObject({ copy_text: '- [x] water plants' });
  });
});

describe('threads.custom_action (streamed)', () => {
  it('completes, reopens and deletes: stream_options, thread.item.replaced, client_effect tasks.changed; the origin follows', async () => {
    const user = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(user, 'add a task to pay rent');
    const [task] = await originTasks(user);
    const id = task!.id;

    const completed = await events(await post(user, streamed(threadId, widgetId, 'tasks.complete', { task_id: id })));
    expect(completed.map((event) => event.type)).toEqual(['stream_options', 'thread.item.replaced', 'client_effect']);
    expect(completed[2]).toEqual({ type: 'client_effect', name: 'tasks.changed', data: { action: 'tasks.complete', task_id: id } });
    expect(widgetItems(completed)[0]!.id).toBe(widgetId);
    expect(rows(widgetItems(completed)[0]).map(describeRow)).toEqual([`~pay rent (Done) Reopen→tasks.reopen#${id} Delete→tasks.delete#${id}`]);
    expect((await originTasks(user))[0]?.completed).toBe(true);

    const reopened = await events(await post(user, streamed(threadId, widgetId, 'tasks.reopen', { task_id: id })));
    expect(rows(widgetItems(reopened)[0]).map(describeRow)).toEqual([`pay rent (Open) Complete→tasks.complete#${id} Delete→tasks.delete#${id}`]);
    expect((await originTasks(user))[0]?.completed).toBe(false);

    const deleted = await events(await post(user, streamed(threadId, widgetId, 'tasks.delete', { task_id: id })));
    expect(deleted[2]).toMatchObject({ type: 'client_effect', name: 'tasks.changed', data: { action: 'tasks.delete', task_id: id } });
    expect(rows(widgetItems(deleted)[0]).map(describeRow)).toEqual(['~pay rent (Deleted: this task no longer exists)']);
    expect(await originTasks(user)).toEqual([]);

    // The replacement is what a reload shows.
    const thread = await json(await post(user, { type: 'threads.get_by_id', params: { thread_id: threadId } }), ThreadSchema);
    expect(thread.items.data.find((item) => item.id === widgetId)).toEqual(widgetItems(deleted)[0]);
  });
});

describe('threads.sync_custom_action (JSON)', () => {
  it('answers {updated_item} with the widget as it is now, for each action; the origin follows', async () => {
    const user = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(user, 'add a task to book flights');
    const [task] = await originTasks(user);
    const id = task!.id;

    const completed = await json(await post(user, sync(threadId, widgetId, 'tasks.complete', { task_id: id })), SyncCustomActionResponseSchema);
    expect(completed.updated_item?.id).toBe(widgetId);
    expect(rows(completed.updated_item).map(describeRow)).toEqual([`~book flights (Done) Reopen→tasks.reopen#${id} Delete→tasks.delete#${id}`]);
    expect((await originTasks(user))[0]?.completed).toBe(true);

    const reopened = await json(await post(user, sync(threadId, widgetId, 'tasks.reopen', { task_id: id })), SyncCustomActionResponseSchema);
    expect(rows(reopened.updated_item).map(describeRow)[0]).toContain('(Open)');
    expect((await originTasks(user))[0]?.completed).toBe(false);

    const deleted = await json(await post(user, sync(threadId, widgetId, 'tasks.delete', { task_id: id })), SyncCustomActionResponseSchema);
    expect(rows(deleted.updated_item).map(describeRow)).toEqual(['~book flights (Deleted: this task no longer exists)']);
    expect(await originTasks(user)).toEqual([]);

    // Acting on a task that is already gone is no error: the widget says so.
    for (const type of ['tasks.complete', 'tasks.delete']) {
      const again = await json(await post(user, sync(threadId, widgetId, type, { task_id: id })), SyncCustomActionResponseSchema);
      expect(rows(again.updated_item).map(describeRow)).toEqual(['~book flights (Deleted: this task no longer exists)']);
    }
    const streamedAgain = await events(await post(user, streamed(threadId, widgetId, 'tasks.reopen', { task_id: id })));
    expect(rows(widgetItems(streamedAgain)[0]).map(describeRow)).toEqual(['~book flights (Deleted: this task no longer exists)']);
  });
});

describe('what the actions refuse', () => {
  async function originCallsFor(requestId: string): Promise<string[]> {
    const all = (await (await fetch(`${originUrl()}/__origin/requests`)).json()) as Array<{ method: string; path: string; headers: Record<string, string> }>;
    return all.filter((record) => record.headers['x-request-id'] === requestId).map((record) => `${record.method} ${record.path}`);
  }

  it('an unknown action type, a malformed payload or a task id that is not a number: 400 on both paths, nothing reaches the origin', async () => {
    const user = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(user, 'add a task to stay put');
    const [task] = await originTasks(user);
    const cases: Array<[string, unknown]> = [
      ['tasks.archive', { task_id: task!.id }],
      ['tasks.complete', undefined],
      ['tasks.complete', {}],
      ['tasks.complete', { task_id: String(task!.id) }],
      ['tasks.delete', { task_id: 'abc' }],
      ['tasks.delete', { task_id: 1.5 }],
      ['tasks.reopen', { task_id: -1 }],
      ['tasks.reopen', { task_id: 0 }],
      ['tasks.reopen', [task!.id]],
    ];
    for (const [type, payload] of cases) {
      for (const build of [streamed, sync]) {
        const requestId = `widget-bad-${crypto.randomUUID()}`;
        await contractError(await post(user, build(threadId, widgetId, type, payload), { 'x-request-id': requestId }), 400, 'bad_request');
        expect(await originCallsFor(requestId), `${type} ${JSON.stringify(payload)}`).toEqual([]);
      }
    }
    expect(await originTasks(user)).toMatchObject([{ id: task!.id, completed: false }]);
  });

  it("another user's widget, a missing or malformed item id, or a non-widget item read as a missing item (404); a task the widget does not show is 400", async () => {
    const alice = await signUp();
    const mallory = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(alice, 'add a task to keep mine');
    const [task] = await originTasks(alice);
    const payload = { task_id: task!.id };
    for (const build of [streamed, sync]) {
      await contractError(await post(mallory, build(threadId, widgetId, 'tasks.delete', payload)), 404, 'not_found');
      for (const itemId of [null, 'wg_0', 'wg_999999999', `${widgetId} `, widgetId.replace('wg_', 'msg_'), widgetId.replace('wg_', 'wf_')]) {
        await contractError(await post(alice, build(threadId, itemId, 'tasks.delete', payload)), 404, 'not_found');
      }
      await contractError(await post(alice, build('thr_0', widgetId, 'tasks.delete', payload)), 404, 'not_found');
    }
    // A widget acts only on its own rows: Alice's next task is not reachable through this widget.
    await seedTaskTurn(alice, 'add a task to leave alone');
    const second = (await originTasks(alice)).find((candidate) => candidate.id !== task!.id);
    for (const build of [streamed, sync]) {
      await contractError(await post(alice, build(threadId, widgetId, 'tasks.delete', { task_id: second!.id })), 400, 'bad_request');
    }
    expect(await originTasks(alice)).toMatchObject([
      { id: task!.id, completed: false },
      { id: second!.id, completed: false },
    ]);
  });

  it('counts both action paths under the per-user chat rate limit; a refused action never reaches the origin', async () => {
    const user = await signUp();
    const { threadId, widgetId } = await seedTaskTurn(user, 'add a task to rate');
    const [task] = await originTasks(user);
    const limited = { RATE_LIMIT_CHAT: '1/60' };
    await json(await post(user, sync(threadId, widgetId, 'tasks.complete', { task_id: task!.id }), {}, limited), SyncCustomActionResponseSchema);
    await contractError(await post(user, sync(threadId, widgetId, 'tasks.reopen', { task_id: task!.id }), {}, limited), 429, 'rate_limited');
    await contractError(await post(user, streamed(threadId, widgetId, 'tasks.delete', { task_id: task!.id }), {}, limited), 429, 'rate_limited');
    expect(await originTasks(user)).toMatchObject([{ id: task!.id, completed: true }]);
  });
});
