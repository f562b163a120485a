import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RateLimiterObject } from '../../worker/rate-limit/durable-object';
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

describe('the Durable Object counts by its own clock', () => {
  /** A fresh object whose clock reads whatever `clock.now` holds. */
  async function objectWithClock(clock: { now: number }) {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(uniqueMarker('clock')));
    await runInDurableObject(stub, (object: RateLimiterObject) => {
      object.now = () => clock.now;
    });
    return stub;
  }

  it('a burst straddling a window edge: the next window still weighs the previous one', async () => {
    const windowMs = 60_000;
    const clock = { now: 1_700_000_040_000 }; // 1_700_000_040_000 is a multiple of 60_000
    const stub = await objectWithClock(clock);
    clock.now += windowMs - 10; // 10 ms before the edge
    const before = [];
    for (let i = 0; i < 4; i++) before.push(await stub.limit(4, windowMs));
    expect(before.map((verdict) => verdict.success)).toEqual([true, true, true, true]);
    expect(before[3]).toMatchObject({ remaining: 0, reset: 1_700_000_040_000 + windowMs });

    clock.now += 20; // 10 ms after the edge: floor(4 × 0.9998) = 3 of the old four still count
    const after = [await stub.limit(4, windowMs), await stub.limit(4, windowMs)];
    expect(after.map((verdict) => [verdict.success, verdict.remaining])).toEqual([
      [true, 0],
      [false, 0],
    ]);
    expect(after[1]!.reset).toBe(1_700_000_040_000 + 2 * windowMs);
  });

  it('refuses until its reset, and lets the next request in at it', async () => {
    const clock = { now: 1_700_000_040_000 };
    const stub = await objectWithClock(clock);
    const first = await stub.limit(1, 60_000);
    expect(first).toMatchObject({ success: true, remaining: 0 });
    clock.now = first.reset - 1;
    expect(await stub.limit(1, 60_000)).toMatchObject({ success: false });
    // At the reset, the previous window's one request weighs floor(1 × 1) = 1: still refused…
    clock.now = first.reset;
    expect(await stub.limit(1, 60_000)).toMatchObject({ success: false });
    // …and 1 ms later it has started to slide out.
    clock.now = first.reset + 1;
    expect(await stub.limit(1, 60_000)).toMatchObject({ success: true });
  });
});

/** A `RATE_LIMITER` stand-in whose objects misbehave the way an overloaded or unreachable one does. */
function brokenNamespace(limit: () => Promise<never>) {
  return {
    idFromName: (name: string) => ({ name, toString: () => name }),
    get: () => ({ limit, leaseMany: limit, ping: limit }),
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

    // The object never answers, so a 200 at all means the time budget decided (logged below).
    const open = await snapshot(await get('/api/v1/__test/echo', ken, { ...durableObjectEnv(), RATE_LIMIT_TIMEOUT_MS: '200', RATE_LIMITER: hanging }));
    expect(open).toMatchObject({ status: 200, limit: null });

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
