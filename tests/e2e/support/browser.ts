import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { watchPageProblems } from './page-problems';

/** Debian's Chromium, driven by playwright-core (no browser download, ever). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHATKIT_CDN_SCRIPT = 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js';
const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = join(here, '..', '__screenshots__');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

let standinScript: Promise<string> | undefined;

/**
 * What the ChatKit CDN URL answers in the tests: the protocol schemas of shared/chatkit.ts bundled
 * for the browser (`window.__chatkitProtocol`, from ./chatkit-schemas.browser.ts), then the
 * stand-in that checks every answer with them. Built once per test process.
 */
export function chatkitStandinScript(): Promise<string> {
  standinScript ??= (async () => {
    const bundle = await build({
      entryPoints: [join(here, 'chatkit-schemas.browser.ts')],
      bundle: true,
      format: 'iife',
      globalName: '__chatkitProtocol',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    return `${bundle.outputFiles[0]!.text}\n${await readFile(join(here, 'chatkit-standin.js'), 'utf8')}`;
  })();
  return standinScript;
}

/**
 * A fresh browser profile, watched for protocol errors, page errors, console errors and CSP
 * violations that fail the current test (./page-problems.ts): call it inside a test. The ChatKit
 * CDN is unreachable here, so its script URL is answered with the local stand-in (or made to
 * fail, to test the fallback); every other request to the internet is refused, so nothing
 * leaves the machine.
 */
export async function newContext(browser: Browser, options: { chatkitScript?: 'standin' | 'unavailable' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await watchPageProblems(context);
  const standin = await chatkitStandinScript();
  // One handler: Playwright gives later routes precedence, so a separate catch-all would shadow the CDN.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|localhost[:/])/, (route) => {
    if (route.request().url() !== CHATKIT_CDN_SCRIPT) return route.abort('blockedbyclient');
    return options.chatkitScript === 'unavailable'
      ? route.abort('connectionrefused')
      : route.fulfill({ status: 200, contentType: 'text/javascript', body: standin });
  });
  return context;
}
