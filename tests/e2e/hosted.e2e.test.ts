import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-chatkit';
import { chatVariantOf, signUpInBrowser } from './support/app';
import { newContext, SCREENSHOT_DIR } from './support/browser';
import type { E2eStack } from './support/stack';
import { startStackAndBrowser, stopStackAndBrowser } from './support/suite';

/**
 * Hosted mode end to end: the ChatKit element (local stand-in) calls the page's
 * `getClientSecret`, the SPA asks the worker's `POST /api/chatkit/session`, the worker creates
 * the session with the real `openai` SDK against the local fake of OpenAI's API, and only the
 * `client_secret` reaches the browser.
 */
let stack: E2eStack;
let openai: FakeOpenAI;
let browser: Browser;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  [stack, browser] = await startStackAndBrowser({
    CHATKIT_MODE: 'hosted',
    OPENAI_API_KEY: openai.apiKey,
    CHATKIT_WORKFLOW_ID: 'wf_e2e_calm_orbit',
    OPENAI_BASE_URL: openai.url,
  });
  await stack.kv.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100 } }));
}, 180_000);

afterAll(async () => {
  await stopStackAndBrowser(stack, browser);
  await openai?.close();
});

describe('hosted ChatKit sessions', () => {
  it('hands the ChatKit element a client_secret created for the token user, and nothing else', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signUpInBrowser(page, stack.workerUrl, 'Hosted');
      expect(await chatVariantOf(page)).toBe('chatkit');
      const record = () =>
        page.evaluate(() => (window as unknown as { __chatkitStandin: { secrets: string[]; options: { api: Record<string, unknown> } } }).__chatkitStandin);
      await expect.poll(async () => (await record()).secrets.length, { timeout: 20_000 }).toBe(1);
      const { secrets, options } = await record();
      expect(options.api).toHaveProperty('getClientSecret');
      expect(options.api).not.toHaveProperty('domainKey');

      const created = openai.requests.filter((request) => request.path === '/v1/chatkit/sessions');
      expect(created).toHaveLength(1);
      const session = created[0]!.body as { user: string; workflow: { id: string } };
      expect(session.workflow.id).toBe('wf_e2e_calm_orbit');
      const userId = await page.evaluate(async () => {
        const res = await fetch('/api/auth/get-session', { credentials: 'include' });
        return ((await res.json()) as { user: { id: string } }).user.id;
      });
      expect(session.user).toBe(userId);
      expect(secrets[0]).toMatch(/^ek_/);
      // The API key never reaches the browser.
      expect(JSON.stringify(await record())).not.toContain(openai.apiKey);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'chatkit-hosted.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
