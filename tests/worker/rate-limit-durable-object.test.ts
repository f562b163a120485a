import { afterEach, describe, expect, it, vi } from 'vitest';
import { callDeepHealth, callWorker } from './support';
import { describeRateLimitBehaviour, get, signUp, snapshot, type Overrides } from './rate-limit-suite';
import { originRequestsMatching, uniqueMarker } from './origin-log';
import { loggedEvents } from './log-lines';

/**
 * The embedded backend: the real `RATE_LIMITER` Durable Object namespace of wrangler.toml,
 * selected because no Upstash credentials are set.
 */

const durableObjectEnv = (): Overrides => ({ UPSTASH_REDIS_REST_URL: '', UPSTASH_REDIS_REST_TOKEN: '' });

describeRateLimitBehaviour('embedded Durable Object', durableObjectEnv);

/** A `RATE_LIMITER` stand-in whose objects misbehave the way an overloaded or unreachable one does. */
function brokenNamespace(limit: () => Promise<never>) {
  return {
    idFromName: (name: string) => ({ name, toString: () => name }),
    get: () => ({ limit, ping: limit }),
  };
}

const unavailableEvents = (spy: Parameters<typeof loggedEvents>[0]) => loggedEvents(spy, 'rate_limiter_unavailable');

describe('rate limiting when the Durable Object fails', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('fails open when the object throws, and logs it', async () => {
    const judy = await signUp();
    const warn = vi.spyOn(console, 'warn');
    const env = { ...durableObjectEnv(), RATE_LIMITER: brokenNamespace(() => Promise.reject(new Error('Durable Object is overloaded'))) };
    const marker = uniqueMarker('do-error');
    const res = await snapshot(await get(`/api/v1/__test/echo?m=${marker}`, judy, env));
    expect(res).toMatchObject({ status: 200, limit: null });
    expect(await originRequestsMatching(marker)).toHaveLength(1);
    expect(unavailableEvents(warn)[0]).toMatchObject({ backend: 'durable-object', reason: 'error', action: 'allowed' });
    expect(String(unavailableEvents(warn)[0]?.detail)).toContain('overloaded');
  });

  it('fails open within RATE_LIMIT_TIMEOUT_MS when the object never answers; closed mode refuses', async () => {
    const ken = await signUp();
    const hanging = brokenNamespace(() => new Promise<never>(() => undefined));
    const warn = vi.spyOn(console, 'warn');

    const started = Date.now();
    const open = await snapshot(await get('/api/v1/__test/echo', ken, { ...durableObjectEnv(), RATE_LIMIT_TIMEOUT_MS: '200', RATE_LIMITER: hanging }));
    expect(open.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_500);

    const closed = await snapshot(
      await get('/api/v1/__test/echo', ken, { ...durableObjectEnv(), RATE_LIMIT_TIMEOUT_MS: '200', RATE_LIMIT_FAIL_MODE: 'closed', RATE_LIMITER: hanging }),
    );
    expect(closed).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: '5' });
    expect(unavailableEvents(warn).map((event) => [event.reason, event.action])).toEqual([
      ['timeout', 'allowed'],
      ['timeout', 'refused'],
    ]);
  });

  it('reports the limiter in /healthz?deep=1', async () => {
    const ok = (await (await callDeepHealth(durableObjectEnv())).json()) as { checks: Record<string, unknown> };
    expect(ok.checks.rate_limiter).toMatchObject({ status: 'ok', backend: 'durable-object', fail_mode: 'open' });

    const broken = brokenNamespace(() => Promise.reject(new Error('unreachable')));
    const res = await callDeepHealth({ ...durableObjectEnv(), RATE_LIMIT_FAIL_MODE: 'closed', RATE_LIMITER: broken });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, unknown> };
    expect(body.checks.rate_limiter).toMatchObject({ status: 'down', backend: 'durable-object', fail_mode: 'closed' });
  });
});
