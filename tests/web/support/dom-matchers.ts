/**
 * The few DOM matchers these tests need (@testing-library/jest-dom is not a dependency here).
 * Each says what it found when it fails, like jest-dom does.
 */
import { expect } from 'vitest';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

function asElement(received: unknown, matcher: string): Element {
  if (!(received instanceof Element)) throw new TypeError(`${matcher}: expected a DOM element, got ${String(received)}`);
  return received;
}

function normalize(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function describe(element: Element): string {
  const html = element.outerHTML;
  return html.length > 300 ? `${html.slice(0, 300)}…` : html;
}

function isDisabled(element: Element): boolean {
  if ((element as HTMLButtonElement).disabled) return true;
  return element.closest('fieldset[disabled]') !== null;
}

expect.extend({
  toBeInTheDocument(received: unknown): MatcherResult {
    const pass = received instanceof Element && received.ownerDocument.contains(received);
    return { pass, message: () => `expected element ${pass ? 'not ' : ''}to be in the document` };
  },

  toHaveTextContent(received: unknown, expected: string | RegExp): MatcherResult {
    const text = normalize(asElement(received, 'toHaveTextContent').textContent);
    const pass = typeof expected === 'string' ? text.includes(normalize(expected)) : expected.test(text);
    return {
      pass,
      message: () => `expected text ${JSON.stringify(text)} ${pass ? 'not ' : ''}to contain ${String(expected)}`,
    };
  },

  toHaveAttribute(received: unknown, name: string, value?: string): MatcherResult {
    const element = asElement(received, 'toHaveAttribute');
    const actual = element.getAttribute(name);
    const pass = value === undefined ? element.hasAttribute(name) : actual === value;
    return {
      pass,
      message: () =>
        `expected ${describe(element)} ${pass ? 'not ' : ''}to have attribute ${name}${value === undefined ? '' : `="${value}"`} (it is ${JSON.stringify(actual)})`,
    };
  },

  toHaveClass(received: unknown, className: string): MatcherResult {
    const element = asElement(received, 'toHaveClass');
    const pass = element.classList.contains(className);
    return { pass, message: () => `expected class "${element.className}" ${pass ? 'not ' : ''}to include ${className}` };
  },

  toBeDisabled(received: unknown): MatcherResult {
    const element = asElement(received, 'toBeDisabled');
    const pass = isDisabled(element);
    return { pass, message: () => `expected ${describe(element)} ${pass ? 'not ' : ''}to be disabled` };
  },

  toBeEnabled(received: unknown): MatcherResult {
    const element = asElement(received, 'toBeEnabled');
    const pass = !isDisabled(element);
    return { pass, message: () => `expected ${describe(element)} ${pass ? 'not ' : ''}to be enabled` };
  },
});

declare module 'vitest' {
  interface Assertion<T = any> {
    toBeInTheDocument(): T;
    toHaveTextContent(expected: string | RegExp): T;
    toHaveAttribute(name: string, value?: string): T;
    toHaveClass(className: string): T;
    toBeDisabled(): T;
    toBeEnabled(): T;
  }
}
