import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium, SCREENSHOT_DIR } from './browser';
import { startE2eStack, type E2eStack, type E2eStackOptions } from './stack';

/** A test file's stack and Chromium, started side by side (and the screenshots folder made). */
export async function startStackAndBrowser(vars: Record<string, string> = {}, options: E2eStackOptions = {}): Promise<[E2eStack, Browser]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return Promise.all([startE2eStack(vars, options), launchChromium()]);
}

/** For `afterAll`: whatever of the two did start is stopped, the stack's KV and logs cleaned. */
export async function stopStackAndBrowser(stack: E2eStack | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await stack?.stopAndClean();
}
