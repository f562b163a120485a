import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait';
import { accessTokenOf, apiGet, chatVariantOf, signUpInBrowser } from './support/app';
import { newContext, SCREENSHOT_DIR } from './support/browser';
import { pageProblemsOf } from './support/page-problems';
import type { E2eStack } from './support/stack';
import { startStackAndBrowser, stopStackAndBrowser } from './support/suite';

/**
 * The guarded rollout end to end: real Chromium, the worker under `wrangler dev` (signals in the
 * embedded Durable Object store), the reference origin's /__dev/faults switch, and the ops command
 * exactly as ops types it (`npm run flags -- plan | guard | history | report`).
 */
const run = promisify(execFile);
let stack: E2eStack;
let browser: Browser;

async function opsFlags(...args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', '-s', 'flags', '--', ...args, '--local', '--persist-to', stack.persistTo], { cwd: process.cwd() });
  return stdout;
}

const subOf = (token: string): string => decodeJwt<{ sub: string }>(token).sub;

async function flagsFor(page: Page): Promise<{ chat: { variant: string; reason: string }; rollout_percent: number }> {
  return apiGet(stack.workerUrl, '/api/flags', await accessTokenOf(page));
}

/** One legacy chat turn in the browser; resolves once the answer has finished streaming. */
async function legacySend(page: Page, text: string): Promise<void> {
  const answers = page.locator('[data-testid="message-assistant"]:not([data-streaming])');
  const before = await answers.count();
  await page.getByTestId('chat-input').fill(text);
  await page.keyboard.press('Enter');
  await expect.poll(() => answers.count(), { timeout: 20_000 }).toBe(before + 1);
}

const composer = (page: Page) => page.locator('openai-chatkit [data-standin="composer"]');

/** One ChatKit turn in the browser (the stand-in web component); `fails` waits for its error instead. */
async function chatkitSend(page: Page, text: string, fails = false): Promise<void> {
  const answers = page.locator('openai-chatkit [data-item-type="assistant_message"]');
  const before = await answers.count();
  const errors = () => page.evaluate(() => (window as unknown as { __chatkitStandin: { errors: string[] } }).__chatkitStandin.errors.length);
  const errorsBefore = await errors();
  await composer(page).fill(text);
  await page.locator('openai-chatkit [data-standin="send"]').click();
  if (fails) await expect.poll(errors, { timeout: 20_000 }).toBe(errorsBefore + 1);
  else await expect.poll(() => answers.count(), { timeout: 20_000 }).toBe(before + 1);
}

beforeAll(async () => {
  [stack, browser] = await startStackAndBrowser();
}, 180_000);

afterAll(() => stopStackAndBrowser(stack, browser));

describe('guarded rollout', () => {
  it('ChatKit failing its users is rolled back by one guard run; the user continues in the legacy chat with the conversation intact', async () => {
    const carolContext = await newContext(browser);
    const danContext = await newContext(browser);
    const carol = await carolContext.newPage();
    const dan = await danContext.newPage();
    try {
      // Two users, pinned to the two variants with the allow/deny lists, at a 10 % rollout.
      await signUpInBrowser(carol, stack.workerUrl, 'Carol');
      await signUpInBrowser(dan, stack.workerUrl, 'Dan');
      const carolId = subOf(await accessTokenOf(carol));
      const danId = subOf(await accessTokenOf(dan));
      await opsFlags('allow', carolId);
      await opsFlags('deny', danId);
      await opsFlags('rollout', '10');
      await waitFor(async () => ((await flagsFor(carol)).chat.variant === 'chatkit' ? true : null), { timeoutMs: 35_000, intervalMs: 300 });
      const plan = await opsFlags('plan', '--stages', '10,50,100', '--min-turns', '4', '--max-error-delta', '2', '--max-ttft-ratio', '50', '--dwell', '24h');
      expect(plan).toContain('stages 10 → 50 → 100 %');

      // Traffic: Carol on ChatKit, Dan on the legacy chat (who also rates an answer).
      await carol.reload();
      expect(await chatVariantOf(carol)).toBe('chatkit');
      await composer(carol).waitFor();
      await chatkitSend(carol, 'Add a task to water the plants');
      await dan.reload();
      expect(await chatVariantOf(dan)).toBe('legacy');
      for (const text of ['What can you do?', 'Add a task to call mom', 'Show my tasks', 'What can you do?']) await legacySend(dan, text);
      await dan.getByTestId('feedback-up').last().click();
      await expect.poll(() => dan.getByRole('status').filter({ hasText: 'Thanks for the feedback' }).count()).toBe(1);
      await dan.screenshot({ path: join(SCREENSHOT_DIR, 'guard-legacy-thumbs.png'), fullPage: true });

      // The fault switch breaks ChatKit for Carol: every turn fails at the origin.
      const fault = await fetch(`${stack.originUrl}/__dev/faults`, { method: 'POST', body: JSON.stringify({ chat: { status: 502, users: [carolId] } }) });
      expect(fault.status).toBe(200);
      for (let i = 0; i < 5; i++) await chatkitSend(carol, `Are you there? (${i + 1})`, true);
      await carol.screenshot({ path: join(SCREENSHOT_DIR, 'guard-chatkit-failing.png'), fullPage: true });
      // Dan leaves the page: his pending telemetry (the thumbs up) goes out on pagehide.
      await dan.goto('about:blank');

      // What the guard would do, then one run that does it.
      const dry = JSON.parse(await opsFlags('guard', '--dry-run', '--json')) as { decision: string; acted: boolean };
      expect(dry).toMatchObject({ decision: 'rollback', acted: false });
      const guard = JSON.parse(await opsFlags('guard', '--json')) as {
        decision: string;
        acted: boolean;
        reason: string;
        numbers: { chatkit: { turns: number; errors: number } };
      };
      expect(guard).toMatchObject({ decision: 'rollback', acted: true, numbers: { chatkit: { turns: 6, errors: 5 } } });
      expect((await stack.kv.get('rollback'))?.trim()).toBe('true');
      expect(stack.logs()).toContain('rollout_guard_tripped');

      // Carol's page, after a reload: the legacy chat, with her ChatKit conversation intact.
      await fetch(`${stack.originUrl}/__dev/faults`, { method: 'DELETE' });
      await waitFor(async () => ((await flagsFor(carol)).chat.reason === 'rollback' ? true : null), { timeoutMs: 35_000, intervalMs: 300 });
      await carol.reload();
      await carol.locator('main[data-chat-variant="legacy"]').waitFor({ timeout: 15_000 });
      expect(await carol.locator('main').getAttribute('data-variant-reason')).toBe('rollback');
      await carol.getByTestId('conversation-item').first().click();
      await expect.poll(() => carol.getByTestId('message-list').innerText(), { timeout: 10_000 }).toMatch(/water the plants[\s\S]*Added .*water the plants/i);
      await legacySend(carol, 'Show my tasks');
      await carol.screenshot({ path: join(SCREENSHOT_DIR, 'guard-rolled-back.png'), fullPage: true });

      // The audit trail shows the guard's entry, with its reason.
      const history = await opsFlags('history');
      expect(history).toMatch(/guard\s+rollback on\s+\{"rollback":false\} → \{"rollback":true\}/);
      expect(history).toContain("ChatKit's error rate 83.33 %");
      expect(history).toMatch(/rollout 10/);

      // The report: both variants' counts, and the guard's verdict now.
      const report = JSON.parse(await opsFlags('report', '--since', '1h', '--json')) as {
        variants: Record<'chatkit' | 'legacy', { turns: number; errors: number; feedback_up: number; fallbacks: number; chatkit_errors: number }>;
        guard: { decision: string; reason: string };
      };
      expect(report.variants.chatkit).toMatchObject({ turns: 6, errors: 5, fallbacks: 0 });
      expect(report.variants.legacy.turns).toBeGreaterThanOrEqual(4);
      expect(report.variants.legacy.errors).toBe(0);
      await expect.poll(async () => (JSON.parse(await opsFlags('report', '--json')) as typeof report).variants.legacy.feedback_up, { timeout: 30_000 }).toBe(1);
      // ChatKit's onError reached the worker as browser telemetry, once per failed turn. (Tagged with
      // Carol's variant when it arrived: ChatKit, or legacy if the batch landed after the rollback.)
      expect(report.variants.chatkit.chatkit_errors + report.variants.legacy.chatkit_errors).toBe(5);
      expect(report.guard).toMatchObject({ decision: 'hold' });
      expect(report.guard.reason).toMatch(/never clears/);

      // And the page for people who would rather look than read.
      const htmlFile = join(SCREENSHOT_DIR, 'rollout-report.html');
      expect(await opsFlags('report', '--html', htmlFile)).toContain('wrote');
      const reportPage = await carolContext.newPage();
      await reportPage.setContent(readFileSync(htmlFile, 'utf8'));
      expect(await reportPage.locator('svg').count()).toBe(2);
      await reportPage.screenshot({ path: join(SCREENSHOT_DIR, 'rollout-report.png'), fullPage: true });
      expect([...pageProblemsOf(carolContext), ...pageProblemsOf(danContext)]).toEqual([]);
    } finally {
      await carolContext.close();
      await danContext.close();
    }
  }, 300_000);
});
