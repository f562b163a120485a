import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no browser download, ever). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHATKIT_CDN_SCRIPT = 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js';
const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = join(here, '..', '__screenshots__');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh browser profile. The ChatKit CDN is unreachable here, so its script URL is answered
 * with the local stand-in (or made to fail, to test the fallback); every other request to the
 * internet is refused, so nothing leaves the machine.
 */
export async function newContext(browser: Browser, options: { chatkitScript?: 'standin' | 'unavailable' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const standin = readFileSync(join(here, 'chatkit-standin.js'), 'utf8');
  // One handler: Playwright gives later routes precedence, so a separate catch-all would shadow the CDN.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => {
    if (route.request().url() !== CHATKIT_CDN_SCRIPT) return route.abort('blockedbyclient');
    return options.chatkitScript === 'unavailable'
      ? route.abort('connectionrefused')
      : route.fulfill({ status: 200, contentType: 'text/javascript', body: standin });
  });
  return context;
}

/** Console errors and CSP violations seen by the page (a CSP violation is a failed test). */
export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}
