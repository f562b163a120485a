import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { callDeepHealth, callWorker } from './support';
import { describeRateLimitBehaviour, freezeClock, get, signUp, snapshot, type Overrides } from './rate-limit-suite';
import { waitFor } from '../helpers/wait';
import { originRequestsMatching, uniqueMarker } from './origin-log';
import { loggedEvents } from './log-lines';

/**
 * The Upstash backend against a real redis-server behind the Upstash REST bridge
 * (tests/fakes/upstash-control.ts, started by the global setup), including Redis crashing and
 * going slow under a running worker.
 */

const upstashEnv = (): Overrides => ({
  UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
  UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
});

async function control(path: string, body?: unknown): Promise<{ redis: string; delay_ms: number }> {
  const res = await fetch(`${inject('upstashControlUrl')}${path}`, {
    method: 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`bridge control ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { redis: string; delay_ms: number };
}

/**
 * Waits until the worker's limiter reaches Redis again through the bridge. Redis listening is
 * not enough: the bridge's client reconnects on its own schedule.
 */
async function untilRedisAnswers(): Promise<void> {
  await waitFor(
    async () => {
      const res = await callDeepHealth(upstashEnv());
      const body = (await res.json()) as { checks: { rate_limiter?: { status?: string } } };
      return body.checks.rate_limiter?.status === 'ok';
    },
    { timeoutMs: 30_000, intervalMs: 50, description: 'Redis to answer through the bridge again' },
  );
}

const unavailableEvents = (spy: Parameters<typeof loggedEvents>[0]) => loggedEvents(spy, 'rate_limiter_unavailable');

describeRateLimitBehaviour('Upstash + real Redis', upstashEnv);

describe('rate limiting when Upstash fails', () => {
  afterEach(async () => {
    // Leave Redis healthy for whatever runs next, whatever the test did.
    vi.restoreAllMocks();
    vi.useRealTimers();
    await control('/__bridge/delay', { ms: 0 });
    await control('/__bridge/redis/start');
    await untilRedisAnswers();
  });

  it('fails open when Redis is killed mid-test: requests keep flowing within the timeout, and it is logged', async () => {
    const grace = await signUp();
    const env = { ...upstashEnv(), RATE_LIMIT_API: '100/3600', RATE_LIMIT_TIMEOUT_MS: '400' };
    freezeClock();

    const before = await snapshot(await get('/api/v1/__test/echo', grace, env));
    expect(before).toMatchObject({ status: 200, limit: '100', remaining: '99' });

    expect(await control('/__bridge/redis/stop')).toMatchObject({ redis: 'down' });
    const warn = vi.spyOn(console, 'warn');
    const marker = uniqueMarker('redis-down');
    for (let i = 0; i < 3; i++) {
      const during = await snapshot(await get(`/api/v1/__test/echo?m=${marker}`, grace, env));
      expect(during.status).toBe(200);
      // Nothing trustworthy to report while the limiter is down.
      expect(during.limit).toBeNull();
    }
    expect(await originRequestsMatching(marker)).toHaveLength(3);
    const events = unavailableEvents(warn);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ level: 'warn', backend: 'upstash', policy: 'api', fail_mode: 'open', action: 'allowed' });
    // The log never carries the Upstash token.
    expect(JSON.stringify(warn.mock.calls)).not.toContain(inject('upstashToken'));

    // Redis back: limiting resumes (from zero: the crashed redis-server kept nothing).
    expect(await control('/__bridge/redis/start')).toMatchObject({ redis: 'up' });
    await untilRedisAnswers();
    const after = await snapshot(await get('/api/v1/__test/echo', grace, env));
    expect(after.status).toBe(200);
    expect(after.limit).toBe('100');
  });

  it('fails open on a slow Redis after RATE_LIMIT_TIMEOUT_MS, not after Redis answers', async () => {
    const heidi = await signUp();
    const env = { ...upstashEnv(), RATE_LIMIT_API: '100/3600', RATE_LIMIT_TIMEOUT_MS: '300' };
    await control('/__bridge/delay', { ms: 3_000 });
    const warn = vi.spyOn(console, 'warn');

    const res = await snapshot(await get('/api/v1/__test/echo', heidi, env));
    // Answered before Redis did: without counts (Redis would have given some), and the log
    // says the time budget ran out, not that Redis failed.
    expect(res.status).toBe(200);
    expect(res.limit).toBeNull();
    expect(unavailableEvents(warn)).toMatchObject([{ backend: 'upstash', reason: 'timeout', action: 'allowed' }]);
  });

  it('fails closed with RATE_LIMIT_FAIL_MODE=closed: 429 rate_limited + Retry-After, origin untouched', async () => {
    const ivan = await signUp();
    const env = { ...upstashEnv(), RATE_LIMIT_TIMEOUT_MS: '300', RATE_LIMIT_FAIL_MODE: 'closed' };
    await control('/__bridge/redis/stop');
    const warn = vi.spyOn(console, 'warn');
    const marker = uniqueMarker('closed');

    const res = await snapshot(await get(`/api/v1/__test/echo?m=${marker}`, ivan, env));
    expect(res).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: '5', limit: null });
    expect(await originRequestsMatching(marker)).toHaveLength(0);
    expect(unavailableEvents(warn)[0]).toMatchObject({ backend: 'upstash', reason: 'error', fail_mode: 'closed', action: 'refused' });
  });

  it('reports the limiter in /healthz?deep=1: ok, then degraded while Redis is down (failing open)', async () => {
    const healthy = (await (await callDeepHealth(upstashEnv())).json()) as { checks: Record<string, unknown> };
    expect(healthy.checks.rate_limiter).toMatchObject({ status: 'ok', backend: 'upstash', fail_mode: 'open' });

    await control('/__bridge/redis/stop');
    const res = await callDeepHealth({ ...upstashEnv(), RATE_LIMIT_TIMEOUT_MS: '300' });
    const body = (await res.json()) as { checks: Record<string, unknown> };
    expect(body.checks.rate_limiter).toMatchObject({ status: 'degraded', backend: 'upstash' });
  });
});
