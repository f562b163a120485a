import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadItem, ThreadStreamEvent } from '../../shared/chatkit';
import { chatkitStandinScript, launchChromium, newContext } from './support/browser';
import { pageProblemsOf, takePageProblems } from './support/page-problems';

/**
 * The ChatKit stand-in is a fake of a closed-source client, so it has its own tests: fed canned
 * answers through `api.fetch` (no worker involved), it must accept a well-formed turn and flag
 * each kind of protocol error the end-to-end tests rely on it to catch.
 */

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Canned {
  contentType: string;
  body: string;
}

const T = '2026-11-30T12:00:00.000Z';
const thread = { id: 'thr_1', created_at: T, status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } };
const userMessage: ThreadItem = {
  type: 'user_message',
  id: 'msg_u',
  thread_id: 'thr_1',
  created_at: T,
  content: [{ type: 'input_text', text: 'hi' }],
  attachments: [],
  inference_options: {},
};
const assistant = (content: Array<{ type: 'output_text'; text: string; annotations: [] }> = []): ThreadItem => ({
  type: 'assistant_message',
  id: 'msg_a',
  thread_id: 'thr_1',
  created_at: T,
  content,
});
const part = (text: string) => ({ type: 'output_text' as const, text, annotations: [] as [] });
const update = (update: object) => ({ type: 'thread.item.updated', item_id: 'msg_a', update });

/** The order the worker sends for `threads.create` (README "ChatKit: two modes"). */
const goodTurn: object[] = [
  { type: 'thread.created', thread },
  { type: 'thread.item.done', item: userMessage },
  { type: 'stream_options', stream_options: { allow_cancel: true } },
  { type: 'thread.item.added', item: assistant() },
  update({ type: 'assistant_message.content_part.added', content_index: 0, content: part('') }),
  update({ type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'Hello' }),
  update({ type: 'assistant_message.content_part.done', content_index: 0, content: part('Hello') }),
  { type: 'thread.item.done', item: assistant([part('Hello')]) },
  { type: 'thread.updated', thread: { ...thread, title: 'hi' } },
];
const sse = (events: object[]): Canned => ({ contentType: 'text/event-stream', body: events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('') });
const json = (body: unknown): Canned => ({ contentType: 'application/json', body: JSON.stringify(body) });
const without = (events: object[], type: string, itemType?: string) =>
  events.filter((event) => !((event as ThreadStreamEvent).type === type && (!itemType || (event as { item?: ThreadItem }).item?.type === itemType)));

/** A page with the stand-in element in custom mode; its `api.fetch` answers from `canned`, in order. */
async function standinPage(canned: Canned[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: await chatkitStandinScript() });
  await page.evaluate((answers) => {
    const element = document.createElement('openai-chatkit') as HTMLElement & { setOptions(options: unknown): void };
    document.body.append(element);
    element.setOptions({
      api: {
        url: '/api/chatkit',
        domainKey: 'domain_pk_test',
        fetch: async () => {
          const next = answers.shift();
          if (!next) throw new Error('no canned answer left');
          return new Response(next.body, { status: 200, headers: { 'content-type': next.contentType } });
        },
      },
    });
  }, canned);
  return { context, page };
}

type StandinElement = HTMLElement & { send(text: string): Promise<void>; showHistory(): Promise<void>; openThread(id: string): Promise<void> };
const send = (page: Page) => page.evaluate(() => (document.querySelector('openai-chatkit') as StandinElement).send('hi'));

/** Runs one turn with `canned` answers and returns the protocol errors the stand-in reported. */
async function protocolErrorsFor(canned: Canned[], act: (page: Page) => Promise<unknown> = send): Promise<string[]> {
  const { context, page } = await standinPage(canned);
  try {
    await act(page);
    const recorded = await page.evaluate(() => (window as unknown as { __chatkitStandin: { protocolErrors: string[] } }).__chatkitStandin.protocolErrors);
    // Each was also reported to the test (the binding's calls may still be on their way).
    await expect.poll(() => pageProblemsOf(context).length).toBe(recorded.length);
    expect(takePageProblems(context).map((problem) => [problem.kind, problem.text])).toEqual(recorded.map((text) => ['protocol', text]));
    return recorded;
  } finally {
    await context.close();
  }
}

describe('the ChatKit stand-in accepts the protocol', () => {
  it('a well-formed turn: no protocol error, and the answer is on the page', async () => {
    const { context, page } = await standinPage([sse(goodTurn)]);
    try {
      await send(page);
      expect(await page.locator('[data-item-type="assistant_message"]').innerText()).toContain('Assistant: Hello');
      expect(await page.evaluate(() => (window as unknown as { __chatkitStandin: { protocolErrors: string[] } }).__chatkitStandin.protocolErrors)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a failed turn: the half answer removed, then one error event', async () => {
    const failed = [
      ...goodTurn.slice(0, 6),
      { type: 'thread.item.removed', item_id: 'msg_a' },
      { type: 'error', code: 'custom', message: 'The answer was interrupted.', allow_retry: true },
    ];
    expect(await protocolErrorsFor([sse(failed)])).toEqual([]);
  });

  it('history paging: follows `after` through every page', async () => {
    const listed = (id: string) => ({ ...thread, id });
    const errors = await protocolErrorsFor(
      [json({ data: [listed('thr_a'), listed('thr_b')], has_more: true, after: 'thr_b' }), json({ data: [listed('thr_c')], has_more: false })],
      async (page) => {
        await page.evaluate(() => (document.querySelector('openai-chatkit') as StandinElement).showHistory());
        expect(await page.locator('[data-thread-id]').count()).toBe(3);
      },
    );
    expect(errors).toEqual([]);
  });
});

describe('the ChatKit stand-in flags protocol errors', () => {
  it('a wrong order: a text delta before its content part was added', async () => {
    const wrongOrder = [...goodTurn];
    [wrongOrder[4], wrongOrder[5]] = [wrongOrder[5]!, wrongOrder[4]!];
    expect(await protocolErrorsFor([sse(wrongOrder)])).toEqual(['threads.create event 4 (thread.item.updated): content part 0 is not added']);
  });

  it('an update for an item never added', async () => {
    expect(await protocolErrorsFor([sse(without(goodTurn, 'thread.item.added'))])).toEqual([
      'threads.create event 3 (thread.item.updated): update assistant_message.content_part.added for item msg_a, never added',
      'threads.create event 4 (thread.item.updated): update assistant_message.content_part.text_delta for item msg_a, never added',
      'threads.create event 5 (thread.item.updated): update assistant_message.content_part.done for item msg_a, never added',
    ]);
  });

  it('a stray trailing error after a complete answer', async () => {
    const stray = [...goodTurn, { type: 'error', code: 'custom', message: 'late', allow_retry: false }];
    expect(await protocolErrorsFor([sse(stray)])).toEqual(['threads.create event 9 (error): error after the answer was complete']);
  });

  it('a missing thread.item.done', async () => {
    expect(await protocolErrorsFor([sse(without(goodTurn, 'thread.item.done', 'assistant_message'))])).toEqual([
      'threads.create: the stream ended without thread.item.done for assistant_message msg_a',
    ]);
  });

  it('an event after an error, and thread.created out of place', async () => {
    const errors = await protocolErrorsFor([
      sse([
        { type: 'error', code: 'custom', message: 'no', allow_retry: false },
        { type: 'thread.created', thread },
      ]),
    ]);
    expect(errors).toEqual([
      'threads.create event 1 (thread.created): after an error event',
      'threads.create event 1 (thread.created): thread.created is only the first event of threads.create',
    ]);
  });

  it('an unknown event type, a malformed event, and a frame that is not one data: line', async () => {
    const body = [
      `data: ${JSON.stringify(goodTurn[0])}\n\n`,
      `data: ${JSON.stringify({ type: 'thread.item.teleported', item_id: 'msg_a' })}\n\n`,
      `data: ${JSON.stringify({ type: 'stream_options', stream_options: {} })}\n\n`,
      `event: delta\ndata: {}\n\n`,
      `data: {not json\n\n`,
    ].join('');
    const errors = await protocolErrorsFor([{ contentType: 'text/event-stream', body }]);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/^threads\.create event 1 \(thread\.item\.teleported\): .*type/);
    expect(errors[1]).toMatch(/^threads\.create event 2 \(stream_options\): .*allow_cancel/);
    expect(errors[2]).toBe('threads.create: a frame that is not one "data: <json>" line: "event: delta\\ndata: {}"');
    expect(errors[3]).toBe('threads.create: a frame whose data is not JSON: "data: {not json"');
  });

  it('a wrong Content-Type on a stream and on a JSON answer', async () => {
    expect(await protocolErrorsFor([{ contentType: 'application/json', body: sse(goodTurn).body }])).toEqual([
      'threads.create: Content-Type "application/json", expected text/event-stream',
    ]);
    const history = (page: Page) => page.evaluate(() => (document.querySelector('openai-chatkit') as StandinElement).showHistory());
    expect(await protocolErrorsFor([{ contentType: 'text/plain', body: JSON.stringify({ data: [], has_more: false }) }], history)).toEqual([
      'threads.list: Content-Type "text/plain", expected application/json',
    ]);
  });

  it('a page whose `after` is not its last id, and a thread on two pages', async () => {
    const listed = (id: string) => ({ ...thread, id });
    const history = (page: Page) => page.evaluate(() => (document.querySelector('openai-chatkit') as StandinElement).showHistory());
    const errors = await protocolErrorsFor(
      [json({ data: [listed('thr_a'), listed('thr_b')], has_more: true, after: 'thr_a' }), json({ data: [listed('thr_a')], has_more: false })],
      history,
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^threads\.list answer: .*`after` must be the last id/);
    expect(errors[1]).toBe('threads.list: thr_a on two pages');
  });
});

// --- widgets (issue 18) ------------------------------------------------------------------------

const taskWidget = (label: string, actionType: string, caption: string): ThreadItem => ({
  type: 'widget',
  id: 'wg_a',
  thread_id: 'thr_1',
  created_at: T,
  widget: {
    type: 'ListView',
    children: [
      {
        type: 'ListViewItem',
        key: 'task-1',
        children: [
          { type: 'Text', value: 'buy milk' },
          { type: 'Caption', value: caption },
          { type: 'Button', label, onClickAction: { type: actionType, payload: { task_id: 1 }, handler: 'server' } },
        ],
      },
    ],
  },
});
const widgetTurn = [...goodTurn.slice(0, -1), { type: 'thread.item.done', item: taskWidget('Complete', 'tasks.complete', 'Open') }];

describe('the ChatKit stand-in and widgets', () => {
  it('draws a widget and sends its button as threads.custom_action through api.fetch; the replacement is drawn in place', async () => {
    const replaced = [
      { type: 'stream_options', stream_options: { allow_cancel: false } },
      { type: 'thread.item.replaced', item: taskWidget('Reopen', 'tasks.reopen', 'Done') },
      { type: 'client_effect', name: 'tasks.changed', data: { action: 'tasks.complete', task_id: 1 } },
    ];
    const { context, page } = await standinPage([sse(widgetTurn), sse(replaced)]);
    try {
      const bodies: unknown[] = [];
      await page.exposeFunction('__recordBody', (body: string) => bodies.push(JSON.parse(body)));
      await send(page);
      const widget = page.locator('[data-item-type="widget"]');
      expect(await widget.innerText()).toMatch(/buy milk[\s\S]*Open[\s\S]*Complete/);
      // Watch what the button sends: api.fetch is the element's option, so wrap it in place.
      await page.evaluate(() => {
        const element = document.querySelector('openai-chatkit') as HTMLElement & { options: { api: { fetch: typeof fetch } } };
        const inner = element.options.api.fetch;
        element.options.api.fetch = (input, init) => {
          void (window as unknown as { __recordBody(body: string): void }).__recordBody(String(init?.body));
          return inner(input, init);
        };
      });
      await widget.locator('[data-action-type="tasks.complete"]').click();
      await expect.poll(() => widget.innerText()).toMatch(/Done[\s\S]*Reopen/);
      expect(bodies).toEqual([
        { type: 'threads.custom_action', params: { thread_id: 'thr_1', item_id: 'wg_a', action: { type: 'tasks.complete', payload: { task_id: 1 } } } },
      ]);
      expect(
        await page.evaluate(() => (window as unknown as { __chatkitStandin: { protocolErrors: string[]; events: string[] } }).__chatkitStandin.events),
      ).toContain('chatkit.effect');
      expect(await page.evaluate(() => (window as unknown as { __chatkitStandin: { protocolErrors: string[] } }).__chatkitStandin.protocolErrors)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a widget component the published types do not have, and a replaced item never shown', async () => {
    const bad = {
      ...taskWidget('Complete', 'tasks.complete', 'Open'),
      widget: { type: 'ListView', children: [{ type: 'ListViewItem', children: [{ type: 'Carousel' }] }] },
    };
    const stray = { ...taskWidget('Complete', 'tasks.complete', 'Open'), id: 'wg_elsewhere' };
    const errors = await protocolErrorsFor([
      sse([...goodTurn.slice(0, -1), { type: 'thread.item.done', item: bad }, { type: 'thread.item.replaced', item: stray }]),
    ]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^threads\.create event 8 \(thread\.item\.done\): /);
    expect(errors[1]).toBe('threads.create event 9 (thread.item.replaced): replaced item wg_elsewhere, which was never shown');
  });
});
