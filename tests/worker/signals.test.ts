import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { rolloutStats } from '../../shared/rollout';
import type { SignalCounter } from '../../shared/signals';
import { aggregatorFor, FLUSH_EVERY_EVENTS, flushEmbeddedSignals } from '../../worker/signals/sink';
import { DurableObjectSignalQuery } from '../../worker/signals/query';
import { loggedEvents } from './log-lines';
import { countersGained, pinVariants, signUpUsers, type User } from './rollout-support';
import { callWorker } from './support';

/**
 * Rollout signals recorded at the edge (worker/middleware/signals.ts → the embedded store), each
 * outcome class produced for real against the reference origin, read back through the same query
 * the guard and the report use.
 */

let chatkitUser: User;
let legacyUser: User;
let limitedUser: User;

beforeAll(async () => {
  [chatkitUser, legacyUser, limitedUser] = (await signUpUsers(3)) as [User, User, User];
  await pinVariants(0, { chatkit: [chatkitUser, limitedUser], legacy: [legacyUser] });
});

const originUrl = () => env.ORIGIN_URL;
const query = new DurableObjectSignalQuery(env);

const bearer = (user: User) => ({ authorization: `Bearer ${user.token}` });
const userInput = (text: string) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });

function chatkit(user: User, body: unknown, overrides: Record<string, string> = {}) {
  return callWorker(
    '/api/chatkit',
    { method: 'POST', headers: { ...bearer(user), 'content-type': 'application/json' }, body: JSON.stringify(body) },
    overrides,
  );
}
function legacyTurn(user: User, message: string, overrides: Record<string, string> = {}) {
  return callWorker(
    '/api/v1/chat',
    { method: 'POST', headers: { ...bearer(user), 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ message }) },
    overrides,
  );
}

async function setFault(fault: unknown): Promise<void> {
  const res = await fetch(`${originUrl()}/__dev/faults`, { method: fault ? 'POST' : 'DELETE', body: fault ? JSON.stringify(fault) : undefined });
  expect(res.ok).toBe(true);
}

const histogramTotal = (diff: Record<string, number>, prefix: string) =>
  Object.entries(diff)
    .filter(([key]) => key.startsWith(prefix))
    .reduce((sum, [, count]) => sum + count, 0);

describe('each outcome class, recorded with the right variant', () => {
  it('ok: a ChatKit turn (with time to first token and duration) and a legacy turn', async () => {
    const diff = await countersGained(async () => {
      const ck = await chatkit(chatkitUser, { type: 'threads.create', params: { input: userInput('What can you do?') } });
      expect(await ck.text()).toContain('text_delta');
      const lg = await legacyTurn(legacyUser, 'What can you do?');
      expect(await lg.text()).toContain('event: done');
    });
    expect(diff['chatkit outcome turn:ok']).toBe(1);
    expect(diff['legacy outcome turn:ok']).toBe(1);
    expect(histogramTotal(diff, 'chatkit ttft')).toBe(1);
    expect(histogramTotal(diff, 'chatkit duration')).toBe(1);
    expect(histogramTotal(diff, 'legacy ttft')).toBe(1);
    expect(histogramTotal(diff, 'legacy duration')).toBe(1);
  });

  it('upstream_error: the origin fails the turn with a 5xx (the /__dev/faults switch)', async () => {
    await setFault({ chat: { status: 502, users: [chatkitUser.userId, legacyUser.userId] } });
    try {
      const diff = await countersGained(async () => {
        expect((await chatkit(chatkitUser, { type: 'threads.create', params: { input: userInput('hello') } })).status).toBe(502);
        expect((await legacyTurn(legacyUser, 'hello')).status).toBe(502);
      });
      expect(diff).toEqual({ 'chatkit outcome turn:upstream_error': 1, 'legacy outcome turn:upstream_error': 1 });
    } finally {
      await setFault(null);
    }
  });

  it('timeout: the origin does not answer within ORIGIN_TIMEOUT_MS', async () => {
    const diff = await countersGained(async () => {
      const res = await callWorker('/api/v1/__test/hang', { headers: bearer(legacyUser) }, { ORIGIN_TIMEOUT_MS: '200' });
      expect(res.status).toBe(504);
    });
    expect(diff).toEqual({ 'legacy outcome other:timeout': 1 });
  });

  it('stream_error: the answer dies after it started (both variants)', async () => {
    const diff = await countersGained(async () => {
      const ck = await (await chatkit(chatkitUser, { type: 'threads.create', params: { input: userInput('simulate error') } })).text();
      expect(ck).toContain('text_delta');
      expect(ck).toContain('"type":"error"');
      const lg = await (await legacyTurn(legacyUser, 'simulate error')).text();
      expect(lg).toContain('event: error');
    });
    expect(diff['chatkit outcome turn:stream_error']).toBe(1);
    expect(diff['legacy outcome turn:stream_error']).toBe(1);
    // The first token did go out: it is timed; a failed turn has no duration.
    expect(histogramTotal(diff, 'chatkit ttft')).toBe(1);
    expect(histogramTotal(diff, 'chatkit duration')).toBe(0);
  });

  it('rate_limited: a turn over the chat limit (429)', async () => {
    const limits = { RATE_LIMIT_CHAT: '1/60' };
    const diff = await countersGained(async () => {
      await (await chatkit(limitedUser, { type: 'threads.create', params: { input: userInput('one') } }, limits)).text();
      const refused = await chatkit(limitedUser, { type: 'threads.create', params: { input: userInput('two') } }, limits);
      expect(refused.status).toBe(429);
    });
    expect(diff['chatkit outcome turn:ok']).toBe(1);
    expect(diff['chatkit outcome turn:rate_limited']).toBe(1);
  });

  it('client_error: a malformed turn (4xx), and ChatKit refused to a legacy user', async () => {
    const diff = await countersGained(async () => {
      expect(
        (await callWorker('/api/v1/chat', { method: 'POST', headers: { ...bearer(legacyUser), 'content-type': 'application/json' }, body: '{"message": ""}' }))
          .status,
      ).toBe(400);
      expect((await chatkit(legacyUser, { type: 'threads.list', params: {} })).status).toBe(403);
    });
    expect(diff).toEqual({ 'legacy outcome turn:client_error': 1, 'legacy outcome other:client_error': 1 });
  });

  it('aborted: the browser hangs up mid-answer (both variants)', async () => {
    const diff = await countersGained(async () => {
      for (const res of [
        await chatkit(chatkitUser, { type: 'threads.create', params: { input: userInput('Add a task to buy groceries and tell me a long story') } }),
        await legacyTurn(legacyUser, 'Add a task to buy groceries and tell me a long story'),
      ]) {
        const reader = res.body!.getReader();
        await reader.read();
        await reader.cancel();
      }
    });
    expect(diff['chatkit outcome turn:aborted']).toBe(1);
    expect(diff['legacy outcome turn:aborted']).toBe(1);
  });

  it('route classes: history and tasks; feedback from ChatKit items.feedback', async () => {
    const created = await (await chatkit(chatkitUser, { type: 'threads.create', params: { input: userInput('hi there') } })).text();
    const events = created
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => JSON.parse(frame.slice('data: '.length)) as { type: string; thread?: { id: string }; item?: { id: string } });
    const threadId = events.find((event) => event.type === 'thread.created')!.thread!.id;
    const itemId = events.filter((event) => event.type === 'thread.item.done').at(-1)!.item!.id;
    const diff = await countersGained(async () => {
      expect((await chatkit(chatkitUser, { type: 'threads.list', params: {} })).status).toBe(200);
      expect((await callWorker('/api/v1/tasks', { headers: bearer(legacyUser) })).status).toBe(200);
      expect((await chatkit(chatkitUser, { type: 'items.feedback', params: { thread_id: threadId, item_ids: [itemId], kind: 'positive' } })).status).toBe(200);
    });
    expect(diff).toEqual({
      'chatkit outcome history:ok': 1,
      'legacy outcome tasks:ok': 1,
      'chatkit outcome other:ok': 1,
      'chatkit feedback up': 1,
    });
  });

  it('anonymous calls and unauthorised ones record nothing (no user, no variant)', async () => {
    const diff = await countersGained(async () => {
      expect((await callWorker('/api/v1/tasks')).status).toBe(401);
      expect((await callWorker('/api/flags')).status).toBe(200);
    });
    expect(diff).toEqual({});
  });

  it('the counters feed the report maths', async () => {
    const rows: SignalCounter[] = await query.counters(0, Date.now() + 60_000, 365 * 24 * 3_600_000);
    const stats = rolloutStats(rows);
    expect(stats.chatkit.turns).toBeGreaterThanOrEqual(3);
    expect(stats.chatkit.errors).toBeGreaterThanOrEqual(2);
    expect(stats.legacy.turns).toBeGreaterThanOrEqual(3);
  });
});

describe('a failing signal write never fails the request', () => {
  it('a broken embedded store: the batch flush fails in the background, the answer is unchanged', async () => {
    const broken = {
      idFromName() {
        throw new Error('signal store unavailable');
      },
      get() {
        throw new Error('signal store unavailable');
      },
    };
    // One event short of a batch, so this request's signal makes the flush due.
    const aggregator = aggregatorFor(broken);
    for (let i = 0; i < FLUSH_EVERY_EVENTS - 1; i++) aggregator.add(Date.now(), 'legacy', [{ kind: 'outcome', label: 'other:ok' }]);
    const warn = vi.spyOn(console, 'warn');
    try {
      const res = await callWorker('/api/v1/tasks', { headers: bearer(legacyUser) }, { SIGNAL_STORE: broken });
      expect(res.status).toBe(200);
      expect(Array.isArray(await res.json())).toBe(true);
      expect(aggregator.size).toBe(0);
      expect(loggedEvents(warn, 'signals_flush_failed')[0]).toMatchObject({ error: 'signal store unavailable' });
    } finally {
      warn.mockRestore();
    }
    expect(await flushEmbeddedSignals({ ...env, SIGNAL_STORE: broken } as unknown as Env)).toBe(0);
  });

  it('a throwing Analytics Engine dataset: the turn streams to its end all the same', async () => {
    const failing = {
      writeDataPoint() {
        throw new Error('dataset write refused');
      },
    };
    const res = await callWorker(
      '/api/v1/chat',
      {
        method: 'POST',
        headers: { ...bearer(legacyUser), 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ message: 'What can you do?' }),
      },
      { SIGNALS_STORE: 'analytics_engine', SIGNALS_DATASET: failing, CLOUDFLARE_ACCOUNT_ID: 'test-account', CLOUDFLARE_API_TOKEN: 'test-token' },
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: done');
  });
});
