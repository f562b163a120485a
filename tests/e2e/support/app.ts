import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export const PASSWORD = 'correct-horse-battery-staple';

/** Signs a new user up through the SPA's own form and waits for the chat page to be chosen. */
export async function signUpInBrowser(page: Page, baseUrl: string, name: string): Promise<{ email: string }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '-')}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Create an account' }).click();
  const form = page.getByTestId('sign-up-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.locator('button[type="submit"]').click();
  await page.locator('main[data-chat-variant]').waitFor({ timeout: 20_000 });
  return { email };
}

/** The signed-in user's access token, fetched the way the SPA does (session cookie → JWT). */
export async function accessTokenOf(page: Page): Promise<string> {
  const token = await page.evaluate(async () => {
    const res = await fetch('/api/auth/token', { credentials: 'include' });
    return ((await res.json()) as { token?: string }).token ?? null;
  });
  expect(token).toBeTruthy();
  return token!;
}

export async function apiGet<T>(baseUrl: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, `${path} → ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

export async function chatVariantOf(page: Page): Promise<string | null> {
  return page.locator('main[data-chat-variant]').getAttribute('data-chat-variant');
}
