import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIMITER_SHARDS, limiterObjectName } from '../../worker/rate-limit/durable-object';
import { GRANT_SHARE, LEASE_FIRST, LEASE_MAX, LEASE_MS, LeaseBook, LeasedDurableObjectRateLimiter, RENEW_WITHIN_MS } from '../../worker/rate-limit/lease';
import type { LimitOutcome } from '../../worker/rate-limit/limiter';
import { freezeClock, nextWindowStart } from './rate-limit-suite';

/**
 * Rate-limit leases against the real `RATE_LIMITER` Durable Object namespace in workerd.
 *
 * Two isolates are two `LeaseBook`s: an isolate's only limiter state is its book (module scope
 * in production, lease.ts), and everything it shares with other isolates goes through the same
 * object RPC (`lease`) these calls make. Two books over one namespace are therefore two isolates
 * as far as the limit is concerned. Each book has its own clock so a test can let a lease expire;
 * the object's clock (Date, frozen by `freezeClock`) stands just inside a fresh window, so no
 * window ends mid-test.
 */

const WINDOW_MS = 60_000;
let keySeq = 0;
const uniqueKey = () => `user:lease-test-${Date.now()}-${keySeq++}-${Math.random().toString(36).slice(2)}`;

/** Counts the object calls an isolate makes and the asks they carry, by wrapping the real namespace (the calls still go through). */
function countingNamespace() {
  const counter = { calls: 0, asks: [] as number[] };
  const real = env.RATE_LIMITER;
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id);
      return {
        leaseMany: (asks: Parameters<typeof stub.leaseMany>[0]) => {
          counter.calls += 1;
          counter.asks.push(asks.length);
          return stub.leaseMany(asks);
        },
        ping: () => stub.ping(),
      };
    },
  } as unknown as typeof env.RATE_LIMITER;
  return { namespace, counter };
}

function isolate() {
  const clock = { now: Date.now() };
  const { namespace, counter } = countingNamespace();
  const limiter = new LeasedDurableObjectRateLimiter(namespace, new LeaseBook(() => clock.now));
  return { limiter, clock, counter, advance: (ms: number) => (clock.now += ms) };
}

async function ask(limiter: LeasedDurableObjectRateLimiter, key: string, limit: number): Promise<LimitOutcome & { kind: 'decided' }> {
  const outcome = await limiter.limit({ policy: 'api', rule: { limit, windowMs: WINDOW_MS }, key, timeoutMs: 5_000 });
  if (outcome.kind !== 'decided') throw new Error(`limiter unavailable: ${outcome.detail}`);
  return outcome;
}

describe('rate-limit leases (two isolates, one Durable Object)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets exactly N through when two isolates take turns one request at a time, and refuses every request after', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const key = uniqueKey();
    const limit = 200;
    const [a, b] = [isolate(), isolate()];
    const verdicts: boolean[] = [];
    for (let i = 0; i < limit + 20; i++) {
      const { verdict } = await ask((i % 2 === 0 ? a : b).limiter, key, limit);
      verdicts.push(verdict.success);
    }
    // The first N pass, none after: the boundary is exact although leases were in play.
    expect(verdicts.slice(0, limit).every(Boolean)).toBe(true);
    expect(verdicts.slice(limit).some(Boolean)).toBe(false);
    // And the leases saved object calls: fewer calls than requests.
    expect(a.counter.calls + b.counter.calls).toBeLessThan(limit);
  });

  it('never lets more than N through in uneven bursts; unspent slots come back once a lease expires, so N is reached', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const key = uniqueKey();
    const limit = 120;
    const [a, b] = [isolate(), isolate()];
    let allowed = 0;
    const burst = async (who: ReturnType<typeof isolate>, n: number) => {
      for (let i = 0; i < n; i++) if ((await ask(who.limiter, key, limit)).verdict.success) allowed += 1;
    };
    // A warms up (its leases grow), then stops with part of a lease unspent; B runs into the limit.
    await burst(a, 40);
    await burst(b, 200);
    expect(allowed).toBeLessThanOrEqual(limit);
    const heldByA = limit - allowed;
    expect(heldByA).toBeGreaterThan(0); // A still holds reserved slots: B was refused below N
    expect(heldByA).toBeLessThanOrEqual(LEASE_MAX);

    // A's lease expires; its next call hands the unspent slots back, and they are spent again.
    a.advance(LEASE_MS + 1);
    b.advance(LEASE_MS + 1);
    await burst(a, 1);
    await burst(b, 50);
    await burst(a, 50);
    expect(allowed).toBe(limit);
  });

  it('reports truthful RateLimit numbers: every allowed request sees a different remaining count, down to 0', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const key = uniqueKey();
    const limit = 64;
    const single = isolate();
    const remaining: number[] = [];
    for (let i = 0; i < limit; i++) {
      const { verdict } = await ask(single.limiter, key, limit);
      expect(verdict).toMatchObject({ success: true, limit });
      remaining.push(verdict.remaining);
    }
    expect(remaining).toEqual(Array.from({ length: limit }, (_, i) => limit - 1 - i));
    const refused = await ask(single.limiter, key, limit);
    expect(refused.verdict).toMatchObject({ success: false, remaining: 0 });
    expect(single.counter.calls).toBeLessThan(limit / 2);
  });

  it(`makes one call per request while a caller is sparse (asking for ${LEASE_FIRST}), and grows the batch only while it is spent in time`, async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const key = uniqueKey();
    const sparse = isolate();
    for (let i = 0; i < 5; i++) {
      await ask(sparse.limiter, key, 1_000);
      sparse.advance(LEASE_MS + 1); // one request a second or less: its second slot expires unspent
    }
    expect(sparse.counter.calls).toBe(5);
    // Each call handed the unspent slot back: five requests, five counted, however many were leased.
    const probe = isolate();
    const after = await ask(probe.limiter, key, 1_000);
    expect(after.verdict.remaining).toBeGreaterThanOrEqual(1_000 - 5 - 1 - LEASE_FIRST);

    const busy = isolate();
    const busyKey = uniqueKey();
    for (let i = 0; i < 100; i++) await ask(busy.limiter, busyKey, 1_000);
    // 1, 2, 4, 8, 16, 16, …: about 100 / 16 + 4 calls.
    expect(busy.counter.calls).toBeLessThanOrEqual(Math.ceil(100 / LEASE_MAX) + 5);
  });

  it('never grants more than 1/GRANT_SHARE of what is left: near the limit each request is its own call', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const key = uniqueKey();
    const limit = GRANT_SHARE * 2;
    const one = isolate();
    for (let i = 0; i < limit; i++) expect((await ask(one.limiter, key, limit)).verdict.success).toBe(true);
    // Grants of 2 at most while 16 … 9 were left, then single requests.
    expect(one.counter.calls).toBeGreaterThanOrEqual(limit - GRANT_SHARE / 2);
  });

  it('sends one call per object at a time: requests that need it meanwhile go together in the next call, each counted for its own key', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    // Twelve users whose counts live in one object (the same shard).
    const shard = limiterObjectName('api', uniqueKey());
    const keys: string[] = [];
    while (keys.length < 12) {
      const key = uniqueKey();
      if (limiterObjectName('api', key) === shard) keys.push(key);
    }
    const one = isolate();
    const verdicts = await Promise.all(keys.map((key) => ask(one.limiter, key, 3)));
    // The first goes alone, the rest wait for it and go in one call.
    expect(one.counter.calls).toBeLessThan(keys.length);
    expect(Math.max(...one.counter.asks)).toBeGreaterThan(1);
    // Counted apart: every user has its own window of 3, not one shared by the twelve.
    expect(verdicts.every(({ verdict }) => verdict.success && verdict.remaining === 2)).toBe(true);
    for (const key of keys) {
      await ask(one.limiter, key, 3);
      await ask(one.limiter, key, 3);
      expect((await ask(one.limiter, key, 3)).verdict.success).toBe(false);
    }
  });

  it(`spreads keys over ${LIMITER_SHARDS} objects per policy, the same object for the same key every time`, () => {
    const names = new Set(Array.from({ length: 400 }, (_, i) => limiterObjectName('chat', `user:spread-${i}`)));
    expect(names.size).toBe(LIMITER_SHARDS);
    expect(limiterObjectName('chat', 'user:alice')).toBe(limiterObjectName('chat', 'user:alice'));
    expect(limiterObjectName('chat', 'user:alice')).toMatch(/^chat:\d+$/);
  });

  it('an object that never answers holds its queue for one time budget, not for good', async () => {
    const real = env.RATE_LIMITER;
    let hangNext = true;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => ({
        leaseMany: (asks: Parameters<ReturnType<typeof real.get>['leaseMany']>[0]) => {
          if (!hangNext) return real.get(id).leaseMany(asks);
          hangNext = false;
          return new Promise<never>(() => undefined);
        },
      }),
    } as unknown as typeof env.RATE_LIMITER;
    const limiter = new LeasedDurableObjectRateLimiter(namespace, new LeaseBook());
    const rule = { limit: 10, windowMs: WINDOW_MS };
    const key = uniqueKey();
    // The first call hangs: the request gets the fail mode's answer within its budget.
    expect(await limiter.limit({ policy: 'api', rule, key, timeoutMs: 100 })).toMatchObject({ kind: 'unavailable', reason: 'timeout' });
    // The object answers again: so does the limiter (the hung call no longer blocks the queue).
    const third = await limiter.limit({ policy: 'api', rule, key, timeoutMs: 1_000 });
    expect(third).toMatchObject({ kind: 'decided', verdict: { success: true } });
  });

  /** `count` fresh keys whose counts live in one object. */
  const keysInOneObject = (count: number): string[] => {
    const shard = limiterObjectName('api', uniqueKey());
    const keys: string[] = [];
    while (keys.length < count) {
      const key = uniqueKey();
      if (limiterObjectName('api', key) === shard) keys.push(key);
    }
    return keys;
  };

  it("renews an active caller's lease with another caller's call to the same object, so their next request needs no call", async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const [alice, bob] = keysInOneObject(2) as [string, string];
    const one = isolate();
    await ask(one.limiter, alice, 1_000); // a call: her request and one more
    await ask(one.limiter, alice, 1_000); // spent here: her lease is used up
    expect(one.counter.calls).toBe(1);
    await ask(one.limiter, bob, 1_000); // Bob's call carries Alice's renewal
    expect(one.counter.calls).toBe(2);
    expect(one.counter.asks).toEqual([1, 2]);
    for (let i = 0; i < LEASE_FIRST; i++) expect((await ask(one.limiter, alice, 1_000)).verdict.success).toBe(true);
    expect(one.counter.calls).toBe(2);
  });

  it('renews a lease close to its end with the next call to its object, and hands back what it still held', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const [bob, carol] = keysInOneObject(2) as [string, string];
    const one = isolate();
    await ask(one.limiter, bob, 1_000); // a call: Bob's request and one slot held
    one.advance(LEASE_MS - RENEW_WITHIN_MS + 1);
    await ask(one.limiter, carol, 1_000); // Carol's call renews Bob's lease: it ends soon
    expect(one.counter.asks).toEqual([1, 2]);
    await ask(one.limiter, bob, 1_000);
    await ask(one.limiter, bob, 1_000);
    expect(one.counter.calls).toBe(2); // both from the renewed lease
    // Bob: 3 requests, his first lease's held slot handed back, the renewal's 2 slots spent.
    const probe = await ask(isolate().limiter, bob, 1_000);
    expect(probe.verdict.remaining).toBe(1_000 - 3 - 1);
  });

  it('keeps the limit exact across two isolates with renewals in play: never more than N per key, and N reached', async () => {
    freezeClock(nextWindowStart(WINDOW_MS) + 1_000);
    const keys = keysInOneObject(6);
    const limit = 50;
    const [a, b] = [isolate(), isolate()];
    const allowed = new Map(keys.map((key) => [key, 0]));
    const request = async (who: ReturnType<typeof isolate>, key: string) => {
      if ((await ask(who.limiter, key, limit)).verdict.success) allowed.set(key, allowed.get(key)! + 1);
    };
    // Both isolates serve every key, each key at its own pace, with time passing now and then.
    for (let round = 0; round < 40; round++) {
      for (const [k, key] of keys.entries()) {
        if ((round + k) % 3 !== 0) await request((round + k) % 2 === 0 ? a : b, key);
      }
      if (round % 7 === 6) {
        a.advance(LEASE_MS / 2);
        b.advance(LEASE_MS / 2);
      }
    }
    for (const key of keys) expect(allowed.get(key)!).toBeLessThanOrEqual(limit);
    // Then each key is asked from both isolates in turn until both refuse: held slots get spent
    // by their holder, expired ones come back, so exactly N got through per key.
    for (const key of keys) {
      let refusals = 0;
      for (let turn = 0; refusals < 4 && turn < 400; turn++) {
        const who = turn % 2 === 0 ? a : b;
        const before = allowed.get(key)!;
        await request(who, key);
        refusals = allowed.get(key)! > before ? 0 : refusals + 1;
        if (turn % 50 === 49) {
          a.advance(LEASE_MS + 1);
          b.advance(LEASE_MS + 1);
        }
      }
    }
    for (const key of keys) expect(allowed.get(key)).toBe(limit);
    expect(a.counter.asks.reduce((x, y) => x + y, 0)).toBeGreaterThan(a.counter.calls); // renewals rode along
  });

  it('a namespace that throws at once fails the request to the fail mode, and the next one goes through', async () => {
    const real = env.RATE_LIMITER;
    let throwNext = true;
    const namespace = {
      idFromName: (name: string) => real.idFromName(name),
      get: (id: DurableObjectId) => {
        if (throwNext) {
          throwNext = false;
          throw new Error('no such namespace');
        }
        return real.get(id);
      },
    } as unknown as typeof env.RATE_LIMITER;
    const limiter = new LeasedDurableObjectRateLimiter(namespace, new LeaseBook());
    const rule = { limit: 10, windowMs: WINDOW_MS };
    const key = uniqueKey();
    expect(await limiter.limit({ policy: 'api', rule, key, timeoutMs: 1_000 })).toMatchObject({ kind: 'unavailable', reason: 'error' });
    expect(await limiter.limit({ policy: 'api', rule, key, timeoutMs: 1_000 })).toMatchObject({ kind: 'decided', verdict: { success: true } });
  });
});
