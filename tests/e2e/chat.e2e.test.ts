import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Task } from '../../shared/origin';
import { waitFor } from '../helpers/wait';
import { accessTokenOf, apiGet, chatVariantOf, signUpInBrowser } from './support/app';
import { newContext, SCREENSHOT_DIR } from './support/browser';
import type { E2eStack } from './support/stack';
import { startStackAndBrowser, stopStackAndBrowser } from './support/suite';

/**
 * Real Chromium → the worker under `wrangler dev` (local KV, Durable Objects, static assets,
 * security headers on) → the reference origin with real Better Auth. The ChatKit CDN script is
 * served by the local stand-in (support/chatkit-standin.js), which speaks ChatKit's protocol.
 */
const run = promisify(execFile);
let stack: E2eStack;
let browser: Browser;

/** `npm run flags -- …` exactly as ops types it, against this stack's local KV. */
async function opsFlags(...args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '-s', 'flags', '--', ...args, '--local', '--persist-to', stack.persistTo], { cwd: process.cwd() });
  return stdout;
}

/** Polls anonymous `/api/flags` until the worker serves `rollout_percent` (the cache bound is the deadline). */
async function untilWorkerSeesRollout(percent: number): Promise<void> {
  await waitFor(
    async () => {
      const flags = (await (await fetch(`${stack.workerUrl}/api/flags`)).json()) as { rollout_percent: number };
      return flags.rollout_percent === percent || null;
    },
    { timeoutMs: 35_000, intervalMs: 300 },
  );
}

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
}, 180_000);

afterAll(() => stopStackAndBrowser(stack, browser));

describe('walking skeleton: browser → worker → origin and back', () => {
  it('signs up, chats on the legacy page, and the task exists for that user only', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Ada');
      expect(await chatVariantOf(page)).toBe('legacy'); // fresh KV: rollout 0
      await page.getByTestId('chat-input').fill('Add a task to buy groceries');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('message-list').innerText(), { timeout: 15_000 }).toMatch(/Added .*buy groceries/i);
      await expect.poll(() => page.getByTestId('task-panel').innerText(), { timeout: 10_000 }).toMatch(/buy groceries/i);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-chat.png'), fullPage: true });

      const tasks = await apiGet<Task[]>(stack.workerUrl, '/api/v1/tasks', await accessTokenOf(page));
      expect(tasks.map((task) => task.title)).toEqual(['buy groceries']);

      const other = await (await newContext(browser)).newPage();
      await signUpInBrowser(other, stack.workerUrl, 'Bob');
      expect(await apiGet<Task[]>(stack.workerUrl, '/api/v1/tasks', await accessTokenOf(other))).toEqual([]);
      await other.context().close();
    } finally {
      await context.close();
    }
  });
});

describe('ChatKit page, rollout and rollback', () => {
  it('a user in the rollout chats on the ChatKit page (backend mode); a rollback shows the same conversation in the legacy chat', async () => {
    expect(await opsFlags('rollout', '100')).toContain('chatkit.rollout_percent: 0 → 100');
    await untilWorkerSeesRollout(100);
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Grace');
      expect(await chatVariantOf(page)).toBe('chatkit');
      await page.locator('openai-chatkit [data-standin="composer"]').waitFor();
      const options = await page.evaluate(
        () => (window as unknown as { __chatkitStandin: { options: { api: Record<string, unknown> } } }).__chatkitStandin.options,
      );
      expect(options.api).toMatchObject({ url: '/api/chatkit', domainKey: 'domain_pk_localhost_dev' });
      expect(options.api).not.toHaveProperty('getClientSecret');

      await page.locator('openai-chatkit [data-standin="composer"]').fill('Add a task to buy groceries');
      await page.locator('openai-chatkit [data-standin="send"]').click();
      const assistant = page.locator('openai-chatkit [data-item-type="assistant_message"]');
      await expect.poll(() => assistant.last().innerText(), { timeout: 15_000 }).toMatch(/Added .*buy groceries/i);
      await expect.poll(() => page.getByTestId('task-panel').innerText(), { timeout: 10_000 }).toMatch(/buy groceries/i);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-page.png'), fullPage: true });

      // Reload and open the thread from history: it comes back from the origin.
      await page.reload();
      await page.locator('openai-chatkit [data-standin="history"]').click();
      await page.locator('openai-chatkit [data-thread-id]').first().click();
      await expect.poll(() => page.locator('openai-chatkit [data-standin="thread"]').innerText(), { timeout: 10_000 }).toMatch(/buy groceries/i);

      // Ops: one command, no deploy. The worker's answer flips within the documented bound.
      expect(await opsFlags('rollback', 'on')).toContain('→ true');
      const token = await accessTokenOf(page);
      await waitFor(
        async () => {
          const flags = await apiGet<{ chat: { variant: string; reason: string } }>(stack.workerUrl, '/api/flags', token);
          return flags.chat.reason === 'rollback' ? flags : null;
        },
        { timeoutMs: 35_000, intervalMs: 500 },
      );

      await page.reload();
      await page.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      await page.getByTestId('conversation-item').first().click();
      await expect
        .poll(() => page.getByTestId('message-list').innerText(), { timeout: 10_000 })
        .toMatch(/Add a task to buy groceries[\s\S]*Added .*buy groceries/i);

      // A full conversation on the fallback: send, streamed reply, in the sidebar, then delete it.
      await page.getByTestId('chat-input').fill('Show my tasks');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('message-list').innerText(), { timeout: 15_000 }).toMatch(/buy groceries[\s\S]*buy groceries/i);
      await page.getByTestId('new-chat').click();
      await page.getByTestId('chat-input').fill('Add a task to call mom');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('conversation-item').count(), { timeout: 15_000 }).toBe(2);
      await page.getByTestId('conversation-item').filter({ hasText: 'call mom' }).getByTestId('delete-conversation').click();
      await page.getByTestId('confirm-delete').click();
      await expect.poll(() => page.getByTestId('conversation-item').count(), { timeout: 10_000 }).toBe(1);
      expect(await apiGet<Conversation[]>(stack.workerUrl, '/api/v1/conversations', await accessTokenOf(page))).toHaveLength(1);

      const other = await (await newContext(browser)).newPage();
      await signUpInBrowser(other, stack.workerUrl, 'Linus');
      expect(await apiGet<Conversation[]>(stack.workerUrl, '/api/v1/conversations', await accessTokenOf(other))).toEqual([]);
      await other.context().close();

      expect(await opsFlags('rollback', 'off')).toContain('true → false');
    } finally {
      await context.close();
    }
  });

  it('the ChatKit page pages through history and items, renames, sends feedback, stops a stream and deletes, all checked by the strict stand-in', async () => {
    await opsFlags('rollout', '100');
    await waitFor(
      async () => {
        const flags = (await (await fetch(`${stack.workerUrl}/api/flags`)).json()) as { rollout_percent: number; rollback: boolean };
        return (flags.rollout_percent === 100 && !flags.rollback) || null;
      },
      { timeoutMs: 35_000, intervalMs: 300 },
    );
    const context = await newContext(browser);
    const page = await context.newPage();
    const standin = (selector: string) => page.locator(`openai-chatkit [data-standin="${selector}"]`);
    const record = () => page.evaluate(() => (window as unknown as { __chatkitStandin: { requests: string[]; events: string[] } }).__chatkitStandin);
    const sendMessage = async (text: string) => {
      await standin('composer').fill(text);
      await standin('send').click();
    };
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Paging');
      expect(await chatVariantOf(page)).toBe('chatkit');
      await standin('composer').waitFor();

      // Three threads; the stand-in lists them one per page, following `after`.
      const answered = async () => (await record()).events.filter((event) => event === 'chatkit.response.end').length;
      for (const [index, text] of ['Add a task to buy bread', 'Add a task to call mom', 'hello'].entries()) {
        await standin('new-thread').click();
        await sendMessage(text);
        await expect.poll(answered, { timeout: 15_000 }).toBe(index + 1);
      }
      await standin('history').click();
      await expect.poll(() => page.locator('openai-chatkit [data-thread-id]').count(), { timeout: 10_000 }).toBe(3);
      expect((await record()).requests.filter((type) => type === 'threads.list')).toHaveLength(3);

      // Open the bread thread: threads.get_by_id, then items.list page by page must agree.
      await page.locator('openai-chatkit [data-thread-id]').filter({ hasText: /bread/i }).click();
      await expect.poll(() => standin('thread').innerText(), { timeout: 10_000 }).toMatch(/Added .*buy bread/i);
      expect((await record()).requests.filter((type) => type === 'items.list').length).toBeGreaterThanOrEqual(2);

      // Thumbs up on the answer, then rename the thread.
      const thumbs = page.locator('openai-chatkit [data-item-type="assistant_message"] [data-standin="feedback"]').last();
      await thumbs.click();
      await expect.poll(() => thumbs.getAttribute('data-sent')).toBe('positive');
      await standin('title').fill('Bakery run');
      await standin('rename').click();
      await standin('history').click();
      await expect.poll(() => page.locator('openai-chatkit [data-thread-id]').filter({ hasText: 'Bakery run' }).count(), { timeout: 10_000 }).toBe(1);

      // Stop an answer after its first words: the stream is cancelled, the thread goes on.
      await page.evaluate(() => {
        (window as unknown as { __chatkitStandin: { stopAt: string } }).__chatkitStandin.stopAt = 'assistant_message.content_part.text_delta';
      });
      await sendMessage('what can you do?');
      await expect.poll(async () => (await record()).events.includes('stream:cancelled'), { timeout: 15_000 }).toBe(true);
      await sendMessage('Add a task to buy butter');
      await expect.poll(() => standin('thread').innerText(), { timeout: 15_000 }).toMatch(/Added .*buy butter/i);

      // Delete the "call mom" thread: two are left.
      await standin('history').click();
      await page
        .locator('openai-chatkit [data-thread-id]')
        .filter({ hasText: /call mom/i })
        .click();
      await expect.poll(() => standin('thread').innerText(), { timeout: 10_000 }).toMatch(/call mom/i);
      await standin('delete').click();
      await expect.poll(async () => (await record()).events.includes('chatkit.thread.deleted'), { timeout: 10_000 }).toBe(true);
      await standin('history').click();
      await expect.poll(() => page.locator('openai-chatkit [data-thread-id]').count(), { timeout: 10_000 }).toBe(2);
      expect(await apiGet<Conversation[]>(stack.workerUrl, '/api/v1/conversations', await accessTokenOf(page))).toHaveLength(2);

      const requests = new Set((await record()).requests);
      for (const type of [
        'threads.create',
        'threads.add_user_message',
        'threads.list',
        'threads.get_by_id',
        'items.list',
        'items.feedback',
        'threads.update',
        'threads.delete',
      ]) {
        expect(requests.has(type), type).toBe(true);
      }
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-standin-paths.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('falls back to the legacy chat when the ChatKit script cannot load', async () => {
    await opsFlags('rollout', '100');
    await untilWorkerSeesRollout(100);
    const context = await newContext(browser, { chatkitScript: 'unavailable' });
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Fallback');
      await page.getByTestId('legacy-chat').waitFor({ timeout: 20_000 });
      await expect.poll(() => page.getByTestId('chat-fallback-notice').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
