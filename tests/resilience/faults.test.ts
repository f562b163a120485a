import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP_REPLY } from '../../origin/assistant';
import { signUpAndGetToken, type SignedUpUser } from '../../origin/client';
import { waitFor } from '../helpers/wait';
import { signUpInBrowser } from '../e2e/support/app';
import { launchChromium, newContext } from '../e2e/support/browser';
import { resilienceFigure } from '../worker/tally';
import { chatkitTypes, SseReader } from './support/sse-reader';
import { startResilienceStack, type ResilienceStack } from './support/stack';
import { ORIGIN_FAULT_TEXT, type ChatFault } from './support/wired-origin';

/**
 * Faults the workerd tests cannot stage, against the real thing: `wrangler dev` → the reference
 * origin (in this process, so it can be restarted or made to misbehave mid-answer) → and a real
 * Chromium where the user-visible result is on a page. Each test states what the user sees.
 */

/** Slow enough to act between two deltas of the assistant's answer. */
const CHUNK_DELAY_MS = 150;
const INTERRUPTED = 'The answer was interrupted. Please try again.';
/** Unlocks the details of `/healthz?deep=1` (README "Configuration"). */
const HEALTH_TOKEN = 'resilience-health-token-0123456789';
let stack: ResilienceStack;
let browser: Browser;
/** Signed up through the worker; the only user the flags put on ChatKit. */
let apiUser: SignedUpUser;

const auth = (user: SignedUpUser) => ({ authorization: `Bearer ${user.token}` });
const chatkit = (user: SignedUpUser, body: unknown, signal?: AbortSignal) =>
  fetch(`${stack.workerUrl}/api/chatkit`, {
    method: 'POST',
    headers: { ...auth(user), 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
const userInput = (text: string) => ({ content: [{ type: 'input_text', text }], attachments: [], inference_options: {} });
const createThread = (text: string) => ({ type: 'threads.create', params: { input: userInput(text) } });
const isTextDelta = (event: { data: unknown }) => (event.data as { update?: { type?: string } }).update?.type === 'assistant_message.content_part.text_delta';

async function flagsFor(
  user: SignedUpUser | null,
): Promise<{ status: number; body: { chat: { variant: string; reason: string }; rollback: boolean; rollout_percent: number } }> {
  const res = await fetch(`${stack.workerUrl}/api/flags`, { headers: user ? auth(user) : {} });
  return { status: res.status, body: (await res.json()) as never };
}

async function deepHealth(): Promise<{
  status: number;
  body: { status: string; checks: Record<string, { status: string; problems?: Record<string, string> }> };
}> {
  const res = await fetch(`${stack.workerUrl}/healthz?deep=1`, { headers: { authorization: `Bearer ${HEALTH_TOKEN}` } });
  return { status: res.status, body: (await res.json()) as never };
}

/** ChatKit for `apiUser` only (browser users stay on the legacy chat), as a KV value. */
const goodFlags = () => JSON.stringify({ chatkit: { rollout_percent: 0, allow_users: [apiUser.userId], deny_users: [] } });

beforeAll(async () => {
  [stack, browser] = await Promise.all([startResilienceStack({ HEALTH_TOKEN }, { chunkDelayMs: CHUNK_DELAY_MS }), launchChromium()]);
  apiUser = await signUpAndGetToken(stack.workerUrl, { origin: stack.workerUrl, name: 'Api' });
  await stack.kv.put('flags', goodFlags());
  await waitFor(async () => (await flagsFor(apiUser)).body.chat.variant === 'chatkit', {
    timeoutMs: 30_000,
    intervalMs: 250,
    description: 'the worker to read the flags',
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stopAndClean();
});

// 2 restarts, 3 misbehaving turns, 1 outage, 2 KV junk values, 3 hang-ups.
const faultsSurvived = resilienceFigure('faults_survived', 2 + 3 + 1 + 2 + 3);

describe('the origin restarts in the middle of an answer', () => {
  it('legacy chat in the browser: the page says the connection closed, Retry gets the whole answer', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Restart');
      expect(await page.locator('main[data-chat-variant]').getAttribute('data-chat-variant')).toBe('legacy');
      await page.getByTestId('chat-input').fill('hello');
      await page.keyboard.press('Enter');
      // The first words are on the page: the answer is streaming.
      await expect.poll(() => page.getByTestId('message-assistant').last().innerText(), { timeout: 15_000 }).toContain('I can help');
      expect(await page.getByTestId('message-assistant').last().innerText()).not.toContain(HELP_REPLY.slice(-20));
      await stack.origin.restart();

      await expect
        .poll(() => page.getByTestId('chat-error').innerText(), { timeout: 15_000 })
        .toContain('The connection closed before the answer was complete.');
      await page.getByTestId('retry-send').click();
      await expect.poll(() => page.getByTestId('message-list').innerText(), { timeout: 15_000 }).toContain(HELP_REPLY.slice(-40));
      expect(await page.getByTestId('chat-error').count()).toBe(0);
      await faultsSurvived.record();
    } finally {
      await context.close();
    }
  });

  it('ChatKit: the stream removes the half-written answer and ends with a retryable error event, not a broken connection; the thread goes on', async () => {
    const res = await chatkit(apiUser, createThread('hello'));
    expect(res.status).toBe(200);
    const stream = new SseReader(res.body!);
    expect(await stream.until(isTextDelta)).not.toBeNull();
    await stack.origin.restart();

    expect(await stream.finish()).toEqual({ kind: 'done' });
    expect(chatkitTypes(stream.events).slice(-2)).toEqual(['thread.item.removed', 'error']);
    expect(stream.events.at(-1)!.data).toEqual({ type: 'error', code: 'custom', message: INTERRUPTED, allow_retry: true });

    // The next request works at once, in the same thread.
    const threadId = (stream.events[0]!.data as { type: string; thread: { id: string } }).thread.id;
    const next = await chatkit(apiUser, { type: 'threads.add_user_message', params: { thread_id: threadId, input: userInput('hello again') } });
    expect(next.status).toBe(200);
    const reader = new SseReader(next.body!);
    expect(await reader.finish()).toEqual({ kind: 'done' });
    expect(chatkitTypes(reader.events).at(-1)).toBe('thread.item.done');
    expect((reader.events.at(-1)!.data as { item: { content: Array<{ text: string }> } }).item.content[0]!.text).toBe(HELP_REPLY);
    await faultsSurvived.record();
  });
});

describe('the origin misbehaves during a ChatKit turn', () => {
  it("answers 500: the browser gets a JSON 502 upstream_error before any stream, without the origin's text", async () => {
    stack.origin.failNextChat('status-500');
    const res = await chatkit(apiUser, createThread('hello'));
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('upstream_error');
    expect(text).not.toContain(ORIGIN_FAULT_TEXT);
    await faultsSurvived.record();
  });

  it.each<[string, ChatFault]>([
    ['sends an event whose data is not JSON', 'garbage-mid-stream'],
    ['ends its event stream before `done`', 'end-mid-stream'],
  ])('%s: an error event ends the stream cleanly, the half answer is removed', async (_what, fault) => {
    stack.origin.failNextChat(fault);
    const res = await chatkit(apiUser, createThread('hello'));
    expect(res.status).toBe(200);
    const stream = new SseReader(res.body!);
    expect(await stream.finish()).toEqual({ kind: 'done' });
    expect(chatkitTypes(stream.events)).toEqual([
      'thread.created',
      'thread.item.done',
      'stream_options',
      'thread.item.added',
      'thread.item.updated assistant_message.content_part.added',
      'thread.item.updated assistant_message.content_part.text_delta',
      'thread.item.removed',
      'error',
    ]);
    expect(stream.events.at(-1)!.data).toEqual({ type: 'error', code: 'custom', message: INTERRUPTED, allow_retry: true });
    await faultsSurvived.record();
  });
});

describe('the origin is down, then back', () => {
  it('502 JSON while down, /healthz?deep=1 says 503 down; the first request after it is back succeeds, data intact', async () => {
    const task = await fetch(`${stack.workerUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { ...auth(apiUser), 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'still here after the outage' }),
    });
    expect(task.status).toBe(201);
    await stack.origin.stop();
    try {
      const down = await fetch(`${stack.workerUrl}/api/v1/tasks`, { headers: auth(apiUser) });
      expect(down.status).toBe(502);
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
      const threads = await chatkit(apiUser, { type: 'threads.list', params: {} });
      expect(threads.status).toBe(502);
      expect(((await threads.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
      const health = await deepHealth();
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('down');
      expect(health.body.checks.origin!.status).toBe('down');
      expect(health.body.checks.kv!.status).toBe('ok');
    } finally {
      await stack.origin.start();
    }
    const back = await fetch(`${stack.workerUrl}/api/v1/tasks`, { headers: auth(apiUser) });
    expect(back.status).toBe(200);
    expect(((await back.json()) as Array<{ title: string }>).map((t) => t.title)).toContain('still here after the outage');
    expect((await deepHealth()).body.status).toBe('ok');
    await faultsSurvived.record();
  });
});

describe('KV holds junk (written with wrangler, read by the running worker)', () => {
  it('flags = "{junk": /api/flags stays 200 with the last good value, /healthz?deep=1 says degraded, and recovers', async () => {
    await stack.kv.put('flags', '{junk');
    const health = await waitFor(
      async () => {
        const current = await deepHealth();
        return current.body.checks.kv!.status === 'degraded' ? current : null;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'the worker to notice the junk' },
    );
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.checks.kv!.problems!.flags).toBeTruthy();

    // The last good document still applies: the allow-listed user keeps ChatKit, others legacy.
    const mine = await flagsFor(apiUser);
    expect(mine.status).toBe(200);
    expect(mine.body.chat).toEqual({ variant: 'chatkit', reason: 'allowed' });
    const anonymous = await flagsFor(null);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.chat.variant).toBe('legacy');
    // And ChatKit itself keeps working for that user.
    expect((await chatkit(apiUser, { type: 'threads.list', params: {} })).status).toBe(200);

    await stack.kv.put('flags', goodFlags());
    await waitFor(async () => (await deepHealth()).body.checks.kv!.status === 'ok', {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the worker to recover',
    });
    await faultsSurvived.record();
  });

  it('rollback = "yes": not a rollback (the safe reading of junk), still 200, degraded until fixed', async () => {
    await stack.kv.put('rollback', 'yes');
    await waitFor(async () => (await deepHealth()).body.checks.kv!.problems?.rollback, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the worker to notice the junk',
    });
    const mine = await flagsFor(apiUser);
    expect(mine.status).toBe(200);
    expect(mine.body.rollback).toBe(false);
    expect(mine.body.chat.variant).toBe('chatkit');
    await stack.kv.put('rollback', 'false');
    await waitFor(async () => (await deepHealth()).body.status === 'ok', { timeoutMs: 30_000, intervalMs: 250, description: 'the worker to recover' });
    await faultsSurvived.record();
  });
});

describe('the browser hangs up on a stream (Chromium → wrangler dev)', () => {
  /** The origin's record of the request whose path contains `marker`, once it saw the client leave. */
  const originSawAbort = (marker: string) =>
    waitFor(() => stack.origin.state.requests.find((record) => record.path.includes(marker) && record.aborted), {
      timeoutMs: 10_000,
      description: `the origin to see ${marker} cancelled`,
    });

  async function openPage(): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/healthz`);
    return { page, close: () => context.close() };
  }

  it('fetch aborted after the first event: the origin sees its request cancelled', async () => {
    const marker = `abort-${crypto.randomUUID()}`;
    const { page, close } = await openPage();
    try {
      const firstEvent = await page.evaluate(
        async ({ path, token }) => {
          const controller = new AbortController();
          const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          while (!text.includes('"i":0}')) text += decoder.decode((await reader.read()).value, { stream: true });
          controller.abort();
          return text;
        },
        { path: `/api/v1/__test/sse?n=200&interval_ms=100&m=${marker}`, token: apiUser.token },
      );
      expect(firstEvent).toContain('"i":0}');
      // Left early: the origin saw its 20 s stream cancelled and never finished it.
      const record = await originSawAbort(marker);
      expect(record.status).toBeNull();
      await faultsSurvived.record();
    } finally {
      await close();
    }
  });

  it('tab closed mid-stream: the origin sees its request cancelled', async () => {
    const marker = `tab-${crypto.randomUUID()}`;
    const { page, close } = await openPage();
    try {
      await page.evaluate(
        ({ path, token }) => {
          void fetch(path, { headers: { authorization: `Bearer ${token}` } }).then(async (res) => {
            const reader = res.body!.getReader();
            for (;;) if ((await reader.read()).done) break;
          });
        },
        { path: `/api/v1/__test/sse?n=200&interval_ms=100&m=${marker}`, token: apiUser.token },
      );
      await waitFor(() => stack.origin.state.requests.some((record) => record.path.includes(marker)), { description: 'the stream to start' });
      await page.close();
      const record = await originSawAbort(marker);
      expect(record.status).toBeNull();
      await faultsSurvived.record();
    } finally {
      await close();
    }
  });

  it('ChatKit turn aborted after the first event: the origin sees its chat request cancelled', async () => {
    const { page, close } = await openPage();
    try {
      const before = stack.origin.state.requests.length;
      const first = await page.evaluate(
        async ({ token, body }) => {
          const controller = new AbortController();
          const res = await fetch('/api/chatkit', {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
            signal: controller.signal,
          });
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          while (!text.includes('"thread.created"')) text += decoder.decode((await reader.read()).value, { stream: true });
          controller.abort();
          return text;
        },
        { token: apiUser.token, body: JSON.stringify(createThread('hello')) },
      );
      expect(first).not.toContain('"thread.item.done","item":{"type":"assistant_message"'); // left mid-turn
      const record = await waitFor(
        () => stack.origin.state.requests.slice(before).find((entry) => entry.method === 'POST' && entry.path === '/api/v1/chat' && entry.aborted),
        { timeoutMs: 10_000, description: 'the origin to see the chat cancelled' },
      );
      expect(record.status).toBeNull();
      await faultsSurvived.record();
    } finally {
      await close();
    }
  });
});
