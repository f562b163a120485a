import { Ratelimit } from '@upstash/ratelimit';
import { errors as upstashErrors, Redis } from '@upstash/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait';
import { startRedis, type RedisInstance } from './redis';
import { startUpstashBridge, type UpstashBridge } from './upstash-rest';

let redisServer: RedisInstance;
let bridge: UpstashBridge;
let redis: Redis;

beforeAll(async () => {
  redisServer = await startRedis();
  bridge = await startUpstashBridge({ redisUrl: redisServer.url });
  redis = new Redis({ url: bridge.url, token: bridge.token });
});
afterAll(async () => {
  await bridge?.close();
  await redisServer?.stop();
});

/** Keys unique per test so tests never see each other's state. */
let keyCounter = 0;
const key = (name: string) => `t${++keyCounter}:${name}`;

function rawCommand(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('single commands through @upstash/redis', () => {
  it('set/get/incr round-trip', async () => {
    const k = key('greeting');
    expect(await redis.set(k, 'hello')).toBe('OK');
    expect(await redis.get(k)).toBe('hello');
    const counter = key('counter');
    expect(await redis.incr(counter)).toBe(1);
    expect(await redis.incrby(counter, 41)).toBe(42);
    expect(await redis.get(key('missing'))).toBeNull();
  });

  it('keeps non-ASCII text and JSON values intact through base64 encoding', async () => {
    const k = key('unicode');
    await redis.set(k, { name: 'Zoë 🚀', tags: ['a', 'b'] });
    expect(await redis.get(k)).toEqual({ name: 'Zoë 🚀', tags: ['a', 'b'] });
  });

  it('works with a client that asks for plain (non-base64) responses', async () => {
    const plain = new Redis({ url: bridge.url, token: bridge.token, responseEncoding: false });
    const k = key('plain');
    await plain.set(k, 'Zoë');
    expect(await plain.get(k)).toBe('Zoë');
  });

  it('passes Redis errors through', async () => {
    const k = key('text');
    await redis.set(k, 'not a number');
    await expect(redis.incr(k)).rejects.toThrow(/ERR value is not an integer/);
  });

  it('returns nested arrays from EVAL', async () => {
    expect(await redis.eval('return {1, "two", {3, "four"}}', [], [])).toEqual([1, 'two', [3, 'four']]);
  });
});

describe('wire format', () => {
  it('answers {"result"} and honours Upstash-Encoding: base64 (except "OK")', async () => {
    const k = key('wire');
    expect(await (await rawCommand('/', ['SET', k, 'v1'], { 'upstash-encoding': 'base64' })).json()).toEqual({ result: 'OK' });
    expect(await (await rawCommand('/', ['GET', k])).json()).toEqual({ result: 'v1' });
    expect(await (await rawCommand('/', ['GET', k], { 'upstash-encoding': 'base64' })).json()).toEqual({
      result: Buffer.from('v1').toString('base64'),
    });
    expect(await (await rawCommand('/', ['LPUSH', key('list'), 'a', 'b'])).json()).toEqual({ result: 2 });
  });

  it('answers 400 {"error"} for a failing command', async () => {
    const response = await rawCommand('/', ['NOSUCHCOMMAND']);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^ERR unknown command/) as string });
  });

  it('passes NOSCRIPT through for EVALSHA of an unknown script', async () => {
    const response = await rawCommand('/', ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 0]);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^NOSCRIPT/) as string });
  });

  it('supports path-style commands', async () => {
    const k = key('path');
    const set = await fetch(`${bridge.url}/set/${k}/bar`, { headers: { authorization: `Bearer ${bridge.token}` } });
    expect(await set.json()).toEqual({ result: 'OK' });
    const get = await fetch(`${bridge.url}/get/${k}?_token=${bridge.token}`);
    expect(await get.json()).toEqual({ result: 'bar' });
  });

  it('rejects a missing or wrong token with 401 {"error":"Unauthorized"}', async () => {
    const wrong = await rawCommand('/', ['PING'], { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'Unauthorized' });
    const missing = await fetch(bridge.url, { method: 'POST', body: '["PING"]' });
    expect(missing.status).toBe(401);
  });

  it('refuses commands that would change the shared connection state', async () => {
    const response = await rawCommand('/', ['MULTI']);
    expect(response.status).toBe(400);
  });
});

describe('pipeline and multi-exec', () => {
  it('runs a pipeline and reports per-command errors', async () => {
    const k = key('p');
    const results = await redis.pipeline().set(k, 5).incr(k).get(k).exec();
    expect(results).toEqual(['OK', 6, 6]);

    const withError = await redis.pipeline().set(k, 'x').incr(k).get(k).exec({ keepErrors: true });
    expect(withError.map((r) => r.error)).toEqual([undefined, expect.stringMatching(/not an integer/), undefined]);
  });

  it('runs a transaction atomically via /multi-exec', async () => {
    const k = key('m');
    expect(await redis.multi().set(k, 1).incr(k).incr(k).get(k).exec()).toEqual(['OK', 2, 3, 3]);
  });

  it('answers 400 EXECABORT when a transaction cannot be queued', async () => {
    const response = await rawCommand('/multi-exec', [
      ['SET', key('x')],
      ['GET', key('x')],
    ]);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^EXECABORT/) as string });
  });
});

describe('@upstash/ratelimit on real Redis', () => {
  const burst = async (ratelimit: Ratelimit, identifier: string, size: number) => Promise.all(Array.from({ length: size }, () => ratelimit.limit(identifier)));

  /**
   * Ratelimit windows are aligned to the epoch, and the client computes them from `Date.now()`.
   * The clock is stopped 100 ms into a window for the whole burst, so no burst can straddle an edge.
   */
  function freezeInsideWindow(windowMs: number): void {
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now - (now % windowMs) + windowMs + 100);
  }
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['slidingWindow', Ratelimit.slidingWindow(5, '2 s')],
    ['fixedWindow', Ratelimit.fixedWindow(5, '2 s')],
  ] as const)('%s lets exactly 5 of a burst of 7 through', async (name, limiter) => {
    // ephemeralCache off: every decision must come from the Lua script in Redis, not client memory.
    const ratelimit = new Ratelimit({ redis, limiter, prefix: key(name), ephemeralCache: false, analytics: false });
    freezeInsideWindow(2_000);
    const results = await burst(ratelimit, 'user-1', 7);
    expect(results.filter((r) => r.success)).toHaveLength(5);
    expect(results.every((r) => r.reason === undefined)).toBe(true); // not a timeout fail-open
    expect(Math.min(...results.map((r) => r.remaining))).toBe(0);

    // A second identifier has its own budget.
    const other = await burst(ratelimit, 'user-2', 1);
    expect(other[0]!.success).toBe(true);
  });

  it('serves later calls through EVALSHA once the NOSCRIPT fallback has loaded the script', async () => {
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(3, '10 s'),
      prefix: key('evalsha'),
      ephemeralCache: false,
    });
    freezeInsideWindow(10_000);
    await ratelimit.limit('u'); // loads the script (EVALSHA → NOSCRIPT → EVAL) unless an earlier test already did
    const before = await successfulEvalshaCalls();
    const results = await burst(ratelimit, 'u', 3);
    expect(results.map((r) => r.success).sort()).toEqual([false, true, true]);
    expect((await successfulEvalshaCalls()) - before).toBe(3);
  });
});

/** Redis's own bookkeeping, read through the bridge: EVALSHA calls that did not fail with NOSCRIPT. */
async function successfulEvalshaCalls(): Promise<number> {
  const { result } = (await (await rawCommand('/', ['INFO', 'commandstats'])).json()) as { result: string };
  const stats = /cmdstat_evalsha:calls=(\d+),.*?rejected_calls=(\d+),failed_calls=(\d+)/.exec(result);
  if (!stats) return 0;
  const [, calls, rejected, failed] = stats.map(Number) as [number, number, number, number];
  return calls - rejected - failed;
}

/** A deadline, not a measurement: rejects with a distinct error if `promise` has not settled within `ms`. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('failure behaviour', () => {
  it('delays replies with setDelay', async () => {
    bridge.setDelay(300);
    try {
      const started = Date.now();
      await redis.ping();
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      bridge.setDelay(0);
    }
  });

  it('makes the client fail promptly while Redis is down, and recovers after a restart', { timeout: 20_000 }, async () => {
    const { port } = redisServer;
    redisServer.kill();
    await redisServer.exited;

    // No retries, no queueing: the bridge answers 500 as soon as ioredis reports the connection down,
    // and @upstash/redis turns that into an UpstashError rather than retrying.
    await expect(settlesWithin(redis.get(key('down')), 3_000)).rejects.toBeInstanceOf(upstashErrors.UpstashError);
    await expect(settlesWithin(redis.pipeline().get(key('down')).exec(), 3_000)).rejects.toBeInstanceOf(upstashErrors.UpstashError);
    const raw = await settlesWithin(rawCommand('/', ['GET', key('down')]), 3_000);
    expect(raw.status).toBe(500);
    expect(await raw.json()).toEqual({ error: expect.any(String) as string });

    redisServer = await startRedis({ port });
    await waitFor(async () => (await redis.ping()) === 'PONG', { timeoutMs: 10_000, description: 'bridge reconnected to Redis' });
  });
});
