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
