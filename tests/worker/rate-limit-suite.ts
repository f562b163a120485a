import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import * as v from 'valibot';
import { ErrorBodySchema } from '../../shared/errors';
import { signUpAndGetToken } from '../../origin/client';
import { originRequestsMatching, uniqueMarker } from './origin-log';
import { callWorker } from './support';

/**
 * The rate-limit behaviour every backend must show through the real app, shared by
 * rate-limit-upstash.test.ts (real Redis behind the Upstash REST bridge) and
 * rate-limit-durable-object.test.ts (the embedded Durable Object).
 */

export type Overrides = Record<string, unknown>;

export interface Caller {
  token: string;
  userId: string;
}

/** A real Better Auth user of the reference origin, with an EdDSA access token. */
export async function signUp(): Promise<Caller> {
  const { token, userId } = await signUpAndGetToken(inject('originUrl'));
  return { token, userId };
}

/**
 * Stops the clock at `ms` (default: now) for the app, the Upstash client and, since tests run in
 * one isolate, the Durable Object: every window test then decides where in a window its requests
 * fall, instead of sleeping and hoping to land on the right side of an edge. Undone after each test.
 */
export function freezeClock(ms = Date.now()): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

/** The start of the next `windowMs` window after now (a little in the future, so tokens stay valid). */
export function nextWindowStart(windowMs: number): number {
  const now = Date.now();
  return now - (now % windowMs) + windowMs;
}

export function randomIpv4(): string {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}

export function get(path: string, caller: Caller | null, env: Overrides, headers: Record<string, string> = {}): Promise<Response> {
  const auth: Record<string, string> = caller ? { authorization: `Bearer ${caller.token}` } : {};
  return callWorker(path, { headers: { ...auth, ...headers } }, env);
}

export interface Snapshot {
  status: number;
  limit: string | null;
  remaining: string | null;
  reset: string | null;
  retryAfter: string | null;
  code: string | null;
}

/** Status, rate-limit headers and error code; the body is consumed so nothing is left open. */
export async function snapshot(res: Response): Promise<Snapshot> {
  const text = await res.text();
  let code: string | null = null;
  if (res.status >= 400) {
    const parsed = v.safeParse(ErrorBodySchema, JSON.parse(text));
    code = parsed.success ? parsed.output.error.code : 'not-a-contract-error';
  }
  return {
    status: res.status,
    limit: res.headers.get('ratelimit-limit'),
    remaining: res.headers.get('ratelimit-remaining'),
    reset: res.headers.get('ratelimit-reset'),
    retryAfter: res.headers.get('retry-after'),
    code,
  };
}

/**
 * Registers the behavioural tests for one backend. `backendEnv()` gives the env overrides that
 * select it (evaluated inside the tests, after the global setup has provided its URLs).
 */
export function describeRateLimitBehaviour(backend: string, backendEnv: () => Overrides): void {
  describe(`rate limiting through the app (${backend})`, () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('lets exactly N of a burst of N+5 through, refuses 5 with 429 + Retry-After, and leaves another user alone', async () => {
      const [alice, bob] = await Promise.all([signUp(), signUp()]);
      const env = { ...backendEnv(), RATE_LIMIT_API: '5/2' };
      const marker = uniqueMarker('burst');
      // The whole burst at one instant, 0.5 s into a window: 1.5 s until RateLimit-Reset.
      freezeClock(nextWindowStart(2_000) + 500);

      const aliceBurst = Array.from({ length: 10 }, () => get(`/api/v1/__test/echo?m=${marker}`, alice, env));
      const bobBurst = Array.from({ length: 3 }, () => get(`/api/v1/__test/echo?m=bob-${marker}`, bob, env));
      const [aliceResults, bobResults] = await Promise.all([
        Promise.all(aliceBurst.map(async (res) => snapshot(await res))),
        Promise.all(bobBurst.map(async (res) => snapshot(await res))),
      ]);

      const allowed = aliceResults.filter((r) => r.status !== 429);
      const refused = aliceResults.filter((r) => r.status === 429);
      expect(allowed).toHaveLength(5);
      expect(refused).toHaveLength(5);
      for (const r of allowed) {
        expect(r.status).toBe(200);
        expect(r.limit).toBe('5');
        expect(r.reset).toBe('2');
        expect(r.retryAfter).toBeNull();
      }
      // Counted atomically: each allowed request saw a different remaining count.
      expect(allowed.map((r) => Number(r.remaining)).sort()).toEqual([0, 1, 2, 3, 4]);
      for (const r of refused) {
        expect(r.code).toBe('rate_limited');
        expect(r.limit).toBe('5');
        expect(r.remaining).toBe('0');
        expect(r.retryAfter).toBe('2');
        expect(r.reset).toBe(r.retryAfter);
      }
      // Refused requests never reached the origin.
      expect(await originRequestsMatching(`m=${marker}`)).toHaveLength(5);

      expect(bobResults.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(bobResults.map((r) => Number(r.remaining)).sort()).toEqual([2, 3, 4]);
    });

    it('slides: after RateLimit-Reset the user is let in again, but only partly while the old window still overlaps', async () => {
      const carol = await signUp();
      const env = { ...backendEnv(), RATE_LIMIT_API: '5/2' };
      const windowStart = nextWindowStart(2_000);
      freezeClock(windowStart + 100);
      for (let i = 0; i < 5; i++) expect((await snapshot(await get('/api/v1/__test/echo', carol, env))).status).toBe(200);
      const refused = await snapshot(await get('/api/v1/__test/echo', carol, env));
      expect(refused).toMatchObject({ status: 429, retryAfter: '2' });

      // Halfway into the next window: a fixed window would let all five through, the sliding
      // one still weighs half of the previous window's five (floor(2.5) = 2), so three fit.
      vi.setSystemTime(windowStart + 2_000 + 1_000);
      const after = [];
      for (let i = 0; i < 5; i++) after.push(await snapshot(await get('/api/v1/__test/echo', carol, env)));
      expect(after.map((r) => [r.status, r.remaining])).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
        [429, '0'],
      ]);

      // Two windows later nothing of it is left.
      vi.setSystemTime(windowStart + 6_000);
      expect(await snapshot(await get('/api/v1/__test/echo', carol, env))).toMatchObject({ status: 200, remaining: '4' });
    });

    it('puts RateLimit headers on errors from later in the chain too', async () => {
      const dave = await signUp();
      const env = { ...backendEnv(), RATE_LIMIT_API: '7/3600' };
      freezeClock();
      // Thrown by the proxy route (a path that could escape /api/v1/ at the origin)…
      const refusedPath = await snapshot(await get('/api/v1/tasks//x', dave, env));
      expect(refusedPath).toMatchObject({ status: 400, code: 'bad_request', limit: '7', remaining: '6' });
      // …and an origin failure turned into 502 upstream_error.
      const upstream = await snapshot(await get('/api/v1/__test/status/503', dave, env));
      expect(upstream).toMatchObject({ status: 502, code: 'upstream_error', limit: '7', remaining: '5' });
    });

    it('counts /api/v1/chat against both chat and api, and shows the tighter one', async () => {
      const erin = await signUp();
      const env = { ...backendEnv(), RATE_LIMIT_API: '5/3600', RATE_LIMIT_CHAT: '2/3600' };
      freezeClock();
      const marker = uniqueMarker('chat');
      const chat = [];
      // GET keeps the origin's chat model out of it; the limit does not depend on the method.
      for (let i = 0; i < 3; i++) chat.push(await snapshot(await get(`/api/v1/chat?m=${marker}`, erin, env)));
      expect(chat.map((r) => r.status !== 429)).toEqual([true, true, false]);
      expect(chat.map((r) => [r.limit, r.remaining])).toEqual([
        ['2', '1'],
        ['2', '0'],
        ['2', '0'],
      ]);
      expect(chat[2]?.code).toBe('rate_limited');
      expect(await originRequestsMatching(marker)).toHaveLength(2);

      // Other API calls are still allowed, with the chat calls already counted under api.
      const tasks = await snapshot(await get('/api/v1/tasks', erin, env));
      expect(tasks.status).toBe(200);
      expect(tasks.limit).toBe('5');
      expect(Number(tasks.remaining)).toBeLessThanOrEqual(5 - 2 - 1);
    });

    it('limits /api/auth/* per client IP, IPv6 per /64', async () => {
      const env = { ...backendEnv(), RATE_LIMIT_AUTH: '3/3600' };
      freezeClock();
      const ip = randomIpv4();
      const fromIp = [];
      for (let i = 0; i < 4; i++) fromIp.push(await snapshot(await get('/api/auth/ok', null, env, { 'cf-connecting-ip': ip })));
      expect(fromIp.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(fromIp[3]).toMatchObject({ code: 'rate_limited', limit: '3', remaining: '0' });
      // Someone else is not affected.
      expect((await snapshot(await get('/api/auth/ok', null, env, { 'cf-connecting-ip': randomIpv4() }))).status).toBe(200);

      // Two addresses in one /64 share a bucket; the neighbouring /64 does not.
      const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
      const v6 = [];
      for (const host of ['::1', '::2', ':0:0:0:3']) v6.push(await snapshot(await get('/api/auth/ok', null, env, { 'cf-connecting-ip': `${prefix}${host}` })));
      expect(v6.map((r) => r.remaining)).toEqual(['2', '1', '0']);
      expect((await snapshot(await get('/api/auth/ok', null, env, { 'cf-connecting-ip': `${prefix}::ffff` }))).status).toBe(429);
    });

    it('limits anonymous /api/flags per IP, and signed-in callers per user under api', async () => {
      const frank = await signUp();
      const env = { ...backendEnv(), RATE_LIMIT_ANONYMOUS: '2/3600', RATE_LIMIT_API: '50/3600' };
      freezeClock();
      const ip = randomIpv4();
      const anonymous = [];
      for (let i = 0; i < 3; i++) anonymous.push(await snapshot(await get('/api/flags', null, env, { 'cf-connecting-ip': ip })));
      expect(anonymous.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(anonymous[0]?.limit).toBe('2');

      // The same IP, signed in: its own per-user bucket under `api`.
      const signedIn = await snapshot(await get('/api/flags', frank, env, { 'cf-connecting-ip': ip }));
      expect(signedIn).toMatchObject({ status: 200, limit: '50', remaining: '49' });
    });
  });
}
