import type { BrowserContext, ConsoleMessage } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';

/**
 * What fails a browser test even when its own assertions pass: a ChatKit protocol error recorded
 * by the stand-in (chatkit-standin.js), an uncaught page error, a console error, or a Content
 * Security Policy violation. Every context from `newContext()` (./browser.ts) is watched from
 * its first page on, and the test that made it fails at its end if anything was seen.
 *
 * Console errors count except the browser's own "Failed to load resource" lines: those only
 * repeat an HTTP status or a blocked request that the test itself provoked and asserts on.
 */
export interface PageProblem {
  kind: 'protocol' | 'pageerror' | 'console' | 'csp';
  text: string;
  /** The page's URL when it happened. */
  url: string;
}

const problemsByContext = new WeakMap<BrowserContext, PageProblem[]>();

/** Starts watching `context` (before any page opens) and fails the current test on what it sees. */
export async function watchPageProblems(context: BrowserContext): Promise<PageProblem[]> {
  const problems: PageProblem[] = [];
  problemsByContext.set(context, problems);
  await context.exposeBinding('__e2eReportProblem', ({ page }, kind: PageProblem['kind'], text: string) => {
    problems.push({ kind, text, url: page.url() });
  });
  // Reported as they happen, so a reload or a closed page loses nothing.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __e2eReportProblem?: (kind: string, text: string) => void }).__e2eReportProblem;
      report?.('csp', `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const watch = (page: import('playwright-core').Page) => {
    page.on('pageerror', (error) => problems.push({ kind: 'pageerror', text: error.stack ?? error.message, url: page.url() }));
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error' || message.text().startsWith('Failed to load resource')) return;
      problems.push({ kind: 'console', text: message.text(), url: page.url() });
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  onTestFinished(() => {
    expect(problems, 'protocol errors, page errors, console errors or CSP violations in the browser').toEqual([]);
  });
  return problems;
}

/** The problems seen so far in `context` (the live list the end-of-test check reads). */
export function pageProblemsOf(context: BrowserContext): readonly PageProblem[] {
  const problems = problemsByContext.get(context);
  if (!problems) throw new Error('this context is not watched: make it with newContext()');
  return problems;
}

/**
 * The problems seen so far in `context`, removed from the list, for a test that provokes some on
 * purpose (the stand-in's own tests) and asserts on them itself.
 */
export function takePageProblems(context: BrowserContext): PageProblem[] {
  return (pageProblemsOf(context) as PageProblem[]).splice(0);
}
