import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait';
import { accessTokenOf, apiGet, chatVariantOf, signUpInBrowser } from './support/app';
import { newContext, SCREENSHOT_DIR } from './support/browser';
import { pageProblemsOf } from './support/page-problems';
import type { E2eStack } from './support/stack';
import { startStackAndBrowser, stopStackAndBrowser } from './support/suite';

/**
 * One conversation across both chats, in real Chromium against `wrangler dev` and the reference
 * origin, with the ChatKit stand-in: a rollback while the page is open hands the conversation over
 * in place, tool steps survive a reload in both chats, per-chat URLs, retry, and the legacy chat's
 * limit and rename.
 */
const run = promisify(execFile);
let stack: E2eStack;
let browser: Browser;

async function opsFlags(...args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '-s', 'flags', '--', ...args, '--local', '--persist-to', stack.persistTo], { cwd: process.cwd() });
  return stdout;
}

/** Polls `/api/flags` as this user until `accept` holds: the worker's flag cache decides when. */
async function untilFlags(token: string, accept: (flags: { chat: { variant: string; reason: string } }) => boolean): Promise<void> {
  await waitFor(
    async () => {
      const flags = await apiGet<{ chat: { variant: string; reason: string } }>(stack.workerUrl, '/api/flags', token);
      return accept(flags) || null;
    },
    { timeoutMs: 35_000, intervalMs: 300 },
  );
}

const standin = (page: Page, selector: string) => page.locator(`openai-chatkit ${selector}`);

async function sendInStandin(page: Page, text: string): Promise<void> {
  await standin(page, '[data-standin="composer"]').fill(text);
  await standin(page, '[data-standin="send"]').click();
}

const conversationIdOf = (page: Page): number | null => {
  const match = /^\/chat\/(\d+)$/.exec(new URL(page.url()).pathname);
  return match ? Number(match[1]) : null;
};

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
  expect(await opsFlags('rollout', '100')).toContain('→ 100');
}, 180_000);

afterAll(() => stopStackAndBrowser(stack, browser));

describe('rollback while the ChatKit page is open', () => {
  it('the next send lands in the legacy chat, same conversation, message kept, no reload; rollback off + reload is ChatKit on the same /chat/<id>', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Rollie');
      const token = await accessTokenOf(page);
      await untilFlags(token, (flags) => flags.chat.variant === 'chatkit');
      await page.reload();
      expect(await chatVariantOf(page)).toBe('chatkit');

      // A ChatKit turn that uses a tool; the URL follows the new thread.
      await sendInStandin(page, 'Add a task to buy milk');
      await expect.poll(() => standin(page, '[data-item-type="assistant_message"]').last().innerText(), { timeout: 15_000 }).toMatch(/Added .*buy milk/i);
      await expect.poll(() => conversationIdOf(page), { timeout: 10_000 }).not.toBeNull();
      const conversationId = conversationIdOf(page)!;

      // Reloaded: /chat/<id> opens the thread, and its tool step is the same workflow item.
      await page.reload();
      await expect.poll(() => standin(page, '[data-item-type="workflow"]').first().innerText(), { timeout: 15_000 }).toMatch(/Added task: buy milk/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-history-workflow.png') });

      // Ops roll back; the page stays open. Wait (by polling) until the worker says so.
      expect(await opsFlags('rollback', 'on')).toContain('→ true');
      await untilFlags(token, (flags) => flags.chat.reason === 'rollback');
      await page.evaluate(() => {
        (window as unknown as { __samePage: boolean }).__samePage = true;
      });

      await sendInStandin(page, 'Show my tasks');
      await page.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      await expect
        .poll(() => page.getByTestId('message-list').innerText(), { timeout: 15_000 })
        .toMatch(/Add a task to buy milk[\s\S]*Added .*buy milk[\s\S]*Show my tasks[\s\S]*You have 1 task:[\s\S]*buy milk \(task 1\)/);
      expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
      expect(conversationIdOf(page)).toBe(conversationId);
      await expect.poll(() => page.getByTestId('chat-fallback-notice').innerText()).toMatch(/switched off[\s\S]*Your message was sent from here/);
      // The ChatKit turn's tool step, in the legacy chat's words.
      await expect.poll(() => page.getByTestId('message-assistant').first().innerText()).toMatch(/Used: add task/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'rollback-in-place.png') });
      await page.getByTestId('dismiss-notice').click();
      await expect.poll(() => page.getByTestId('chat-fallback-notice').count()).toBe(0);

      // After a reload (still rolled back) the same conversation, tool steps included.
      await page.reload();
      await page.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      await expect
        .poll(() => page.getByTestId('message-list').innerText(), { timeout: 10_000 })
        .toMatch(/Used: add task[\s\S]*Show my tasks[\s\S]*Used: list tasks/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-history-used.png') });

      // Rollback off: the next load is ChatKit again, on the same conversation.
      expect(await opsFlags('rollback', 'off')).toContain('true → false');
      await untilFlags(token, (flags) => flags.chat.variant === 'chatkit');
      await page.reload();
      await page.locator('main[data-chat-variant="chatkit"]').waitFor({ timeout: 15_000 });
      expect(conversationIdOf(page)).toBe(conversationId);
      await expect
        .poll(() => standin(page, '[data-standin="thread"]').innerText(), { timeout: 15_000 })
        .toMatch(/buy milk[\s\S]*Show my tasks[\s\S]*You have 1 task/);

      // Retry the last answer: a fresh one, and the thread still holds one answer per question.
      await standin(page, '[data-item-type="assistant_message"] [data-standin="retry"]').last().click();
      await expect.poll(() => standin(page, '[data-item-type="assistant_message"]').count(), { timeout: 15_000 }).toBe(2);
      await expect.poll(() => standin(page, '[data-item-type="assistant_message"]').last().innerText(), { timeout: 15_000 }).toMatch(/You have 1 task/);
      const detail = await apiGet<{ messages: Array<{ role: string }> }>(stack.workerUrl, `/api/v1/conversations/${conversationId}`, token);
      expect(detail.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-after-retry.png') });
      expect(pageProblemsOf(context)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('stopping an answer', () => {
  it('keeps what was shown: ChatKit and the legacy chat both show the stopped answer after a reload', async () => {
    await opsFlags('rollback', 'off');
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Stopper');
      const token = await accessTokenOf(page);
      await untilFlags(token, (flags) => flags.chat.variant === 'chatkit');
      // A long answer (a list of 300 tasks, streamed a few words at a time), so there is time to stop it.
      for (let i = 1; i <= 300; i++) {
        await fetch(`${stack.workerUrl}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title: `chore ${i}` }),
        });
      }
      await page.reload();
      await page.locator('main[data-chat-variant="chatkit"]').waitFor({ timeout: 15_000 });
      const answer = () => standin(page, '[data-item-type="assistant_message"]').last();
      await sendInStandin(page, 'Show my tasks');
      await expect.poll(() => answer().innerText(), { timeout: 15_000 }).toMatch(/chore 3 \(task 3\)/);
      await standin(page, '[data-standin="stop"]').click();
      await expect.poll(() => conversationIdOf(page), { timeout: 10_000 }).not.toBeNull();
      const conversationId = conversationIdOf(page)!;
      const stored = await waitFor(
        async () => {
          const detail = await apiGet<{ messages: Array<{ role: string; content: string; interrupted?: boolean }> }>(
            stack.workerUrl,
            `/api/v1/conversations/${conversationId}`,
            token,
          );
          return detail.messages.find((message) => message.role === 'assistant' && message.interrupted) ?? null;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      expect(stored.content).toMatch(/^You have 300 tasks:/);
      expect(stored.content).not.toMatch(/chore 300 \(task 300\)/);

      await page.reload();
      await expect.poll(() => answer().innerText(), { timeout: 15_000 }).toMatch(/\*\(Stopped\)\*/);
      expect(await answer().innerText()).toContain(stored.content.split('\n').slice(0, 3).join(' '));
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-stopped-after-reload.png') });

      await opsFlags('rollback', 'on');
      await untilFlags(token, (flags) => flags.chat.reason === 'rollback');
      await page.reload();
      await page.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByTestId('message-stopped').count(), { timeout: 15_000 }).toBe(1);

      // The legacy chat's own Stop.
      await page.getByTestId('chat-input').fill('Show my tasks');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('message-assistant').last().innerText(), { timeout: 15_000 }).toMatch(/chore 3 \(task 3\)/);
      await page.getByTestId('stop-button').click();
      await expect.poll(() => page.getByTestId('message-stopped').count()).toBe(2);
      await waitFor(
        async () => {
          const detail = await apiGet<{ messages: Array<{ interrupted?: boolean }> }>(stack.workerUrl, `/api/v1/conversations/${conversationId}`, token);
          return detail.messages.filter((message) => message.interrupted).length === 2 || null;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      await page.reload();
      await expect.poll(() => page.getByTestId('message-stopped').count(), { timeout: 15_000 }).toBe(2);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-stopped-after-reload.png') });
      expect(pageProblemsOf(context)).toEqual([]);
    } finally {
      await context.close();
      await opsFlags('rollback', 'off');
    }
  });
});

describe('per-chat URLs and the legacy chat', () => {
  it("another user's /chat/<id> says not found, in ChatKit and in the legacy chat", async () => {
    const owner = await (await newContext(browser)).newPage();
    await signUpInBrowser(owner, stack.workerUrl, 'Owner');
    const ownerToken = await accessTokenOf(owner);
    const created = await fetch(`${stack.workerUrl}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    });
    const { conversation_id: conversationId } = (await created.json()) as { conversation_id: number };
    await owner.context().close();

    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Stranger');
      await page.goto(`${stack.workerUrl}/chat/${conversationId}`);
      await page.locator('main[data-chat-variant="chatkit"]').waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByTestId('conversation-not-found').innerText(), { timeout: 15_000 }).toMatch(/not found/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-not-found.png') });

      await opsFlags('rollback', 'on');
      await untilFlags(await accessTokenOf(page), (flags) => flags.chat.reason === 'rollback');
      await page.reload();
      await page.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByTestId('conversation-not-found').innerText(), { timeout: 15_000 }).toMatch(/not found/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-not-found.png') });
    } finally {
      await context.close();
    }
  });

  it('legacy: Back/Forward between chats, a long conversation stays inside the window, the limit and rename', async () => {
    await opsFlags('rollback', 'on');
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Legacy');
      const token = await accessTokenOf(page);
      await untilFlags(token, (flags) => flags.chat.reason === 'rollback');
      const ids: number[] = [];
      for (const opener of ['first chat', 'second chat']) {
        let conversationId: number | undefined;
        for (let turn = 0; turn < (opener === 'first chat' ? 12 : 1); turn++) {
          const res = await fetch(`${stack.workerUrl}/api/v1/chat`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ message: turn === 0 ? opener : 'show my tasks', ...(conversationId ? { conversation_id: conversationId } : {}) }),
          });
          conversationId = ((await res.json()) as { conversation_id: number }).conversation_id;
        }
        ids.push(conversationId!);
      }
      await page.goto(`${stack.workerUrl}/chat/${ids[0]}`);
      await expect.poll(() => page.getByTestId('message-user').count(), { timeout: 15_000 }).toBe(12);
      // The page itself never scrolls: only the message list does.
      expect(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight)).toBe(true);

      await page.getByTestId('conversation-item').filter({ hasText: 'second chat' }).locator('.conversation-select').click();
      await expect.poll(() => conversationIdOf(page)).toBe(ids[1]);
      await expect.poll(() => page.getByTestId('message-user').count()).toBe(1);
      await page.goBack();
      await expect.poll(() => conversationIdOf(page)).toBe(ids[0]);
      await expect.poll(() => page.getByTestId('message-user').count(), { timeout: 15_000 }).toBe(12);
      await page.goForward();
      await expect.poll(() => page.getByTestId('message-user').count(), { timeout: 15_000 }).toBe(1);

      await page.getByTestId('chat-input').fill('x'.repeat(4_100));
      await expect.poll(() => page.getByTestId('composer-limit').innerText()).toMatch(/at most 4,000 characters; this one has 4,100/);
      expect(await page.getByTestId('send-button').isDisabled()).toBe(true);
      expect((await page.getByTestId('chat-input').inputValue()).length).toBe(4_100);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-over-limit.png') });
      await page.getByTestId('chat-input').fill('');

      const row = page.getByTestId('conversation-item').filter({ hasText: 'second chat' });
      await row.hover();
      await row.getByTestId('rename-conversation').click();
      await page.getByTestId('rename-input').fill('Weekend plans');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-rename.png') });
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('chat-sidebar').innerText()).toMatch(/Weekend plans/);
      expect(pageProblemsOf(context)).toEqual([]);
    } finally {
      await context.close();
      await opsFlags('rollback', 'off');
    }
  });
});
