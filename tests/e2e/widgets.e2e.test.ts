import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../shared/origin';
import { waitFor } from '../helpers/wait';
import { accessTokenOf, apiGet, chatVariantOf, signUpInBrowser } from './support/app';
import { launchChromium, newContext, SCREENSHOT_DIR } from './support/browser';
import { startE2eStack, type E2eStack } from './support/stack';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The task widget (issue 18) and its legacy counterpart in real Chromium against `wrangler dev` and the reference origin,
 * with the strict ChatKit stand-in (every frame checked against the shared schemas; a protocol
 * error fails the test): add a task by chat, complete it in the widget and see the task panel
 * follow, reload and see the widget still say done, then delete it from the widget.
 */
const run = promisify(execFile);
let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  [stack, browser] = await Promise.all([startE2eStack(), launchChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stopAndClean();
});

const standin = (page: Page, selector: string) => page.locator(`openai-chatkit ${selector}`);
const widget = (page: Page) => standin(page, '[data-item-type="widget"]').last();
const taskRow = (page: Page, title: string) => page.getByTestId('task-item').filter({ hasText: title });

// The legacy test runs first, on fresh KV (rollout 0); the ChatKit test then rolls out to 100%.
describe('the task list under a legacy answer (the same controls)', () => {
  it('add by chat, complete in the list (task panel follows), reload shows it done, delete from the list', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const row = () => page.getByTestId('message-task').last();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Lark');
      expect(await chatVariantOf(page)).toBe('legacy');
      const token = await accessTokenOf(page);
      await page.getByTestId('chat-input').fill('Add a task to feed the cat');
      await page.keyboard.press('Enter');
      await expect.poll(() => row().getAttribute('data-state'), { timeout: 15_000 }).toBe('open');
      expect(await page.getByTestId('message-tasks').last().innerText()).toMatch(/Used: add task[\s\S]*feed the cat[\s\S]*Open/);

      await row().getByTestId('message-task-complete').click();
      await expect.poll(() => row().getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
      await expect.poll(() => taskRow(page, 'feed the cat').getAttribute('data-completed'), { timeout: 10_000 }).toBe('true');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-task-list-done.png') });

      await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toMatch(/^\/chat\/\d+$/);
      await page.reload();
      await expect.poll(() => row().getAttribute('data-state'), { timeout: 15_000 }).toBe('done');

      await row().getByTestId('message-task-delete').click();
      await expect.poll(() => row().getAttribute('data-state'), { timeout: 10_000 }).toBe('deleted');
      expect(await row().innerText()).toMatch(/no longer exists/);
      await expect.poll(() => taskRow(page, 'feed the cat').count(), { timeout: 10_000 }).toBe(0);
      expect(await apiGet<Task[]>(stack.workerUrl, '/api/v1/tasks', token)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'legacy-task-list-deleted.png') });
    } finally {
      await context.close();
    }
  });
});

describe('the task widget in the ChatKit page', () => {
  it('add by chat, complete in the widget (task panel follows), reload shows it done, delete from the widget', async () => {
    const { stdout } = await run('npm', ['run', '-s', 'flags', '--', 'rollout', '100', '--local', '--persist-to', stack.persistTo], { cwd: process.cwd() });
    expect(stdout).toContain('→ 100');
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Wren');
      const token = await accessTokenOf(page);
      // The worker's flag cache decides when the rollout reaches it; then the page picks ChatKit.
      await waitFor(async () => (await apiGet<{ chat: { variant: string } }>(stack.workerUrl, '/api/flags', token)).chat.variant === 'chatkit' || null, {
        timeoutMs: 35_000,
        intervalMs: 300,
      });
      await page.reload();
      expect(await chatVariantOf(page)).toBe('chatkit');

      await standin(page, '[data-standin="composer"]').fill('Add a task to water the ferns');
      await standin(page, '[data-standin="send"]').click();
      await expect.poll(() => widget(page).innerText(), { timeout: 15_000 }).toMatch(/water the ferns[\s\S]*Open/);
      await expect.poll(() => taskRow(page, 'water the ferns').getAttribute('data-completed'), { timeout: 10_000 }).toBe('false');
      await widget(page).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'widget-open.png') });

      // Complete in the widget: the widget is replaced in place, the panel follows (tasks.changed).
      await widget(page).locator('[data-action-type="tasks.complete"]').click();
      await expect.poll(() => widget(page).innerText(), { timeout: 10_000 }).toMatch(/Done[\s\S]*Reopen/);
      expect(await widget(page).locator('[data-line-through="true"]').innerText()).toBe('water the ferns');
      await expect.poll(() => taskRow(page, 'water the ferns').getAttribute('data-completed'), { timeout: 10_000 }).toBe('true');
      expect((await apiGet<Task[]>(stack.workerUrl, '/api/v1/tasks', token)).map((task) => [task.title, task.completed])).toEqual([['water the ferns', true]]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'widget-done.png') });

      // Reload: the thread comes back from the origin and the widget shows today's state.
      await expect.poll(() => new URL(page.url()).pathname, { timeout: 10_000 }).toMatch(/^\/chat\/\d+$/);
      await page.reload();
      await expect.poll(() => widget(page).innerText(), { timeout: 15_000 }).toMatch(/water the ferns[\s\S]*Done[\s\S]*Reopen/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'widget-done-after-reload.png') });

      // Delete from the widget: the row says so, and the task leaves the panel and the origin.
      await widget(page).locator('[data-action-type="tasks.delete"]').click();
      await expect.poll(() => widget(page).innerText(), { timeout: 10_000 }).toMatch(/no longer exists/);
      expect(await widget(page).locator('button').count()).toBe(0);
      await expect.poll(() => taskRow(page, 'water the ferns').count(), { timeout: 10_000 }).toBe(0);
      expect(await apiGet<Task[]>(stack.workerUrl, '/api/v1/tasks', token)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'widget-deleted.png') });
    } finally {
      await context.close();
    }
  });
});
