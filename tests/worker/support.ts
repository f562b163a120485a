import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { createApp } from '../../worker/app';

/**
 * Calls a fresh app instance inside workerd with the real local bindings (KV, Durable
 * Objects, assets) and optional var overrides, e.g. a short origin timeout for one test.
 */
export async function callWorker(input: string, init: RequestInit = {}, overrides: Partial<Record<keyof Env, unknown>> = {}): Promise<Response> {
  const url = input.startsWith('http') ? input : `http://worker.test${input}`;
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(url, init), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** `HEALTH_TOKEN` for tests that read `/healthz?deep=1` details. */
export const TEST_HEALTH_TOKEN = 'health-token-for-tests-0123456789';

/** `/healthz?deep=1` as the operator sees it (with `HEALTH_TOKEN`), with optional var overrides. */
export function callDeepHealth(overrides: Partial<Record<keyof Env, unknown>> = {}): Promise<Response> {
  return callWorker('/healthz?deep=1', { headers: { authorization: `Bearer ${TEST_HEALTH_TOKEN}` } }, { HEALTH_TOKEN: TEST_HEALTH_TOKEN, ...overrides });
}
