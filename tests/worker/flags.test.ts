import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_FLAGS, FlagsResponseSchema, parseFlagsDocument, resolveChatVariant, rolloutBucket, type FlagInputs } from '../../shared/flags';
import { FlagsStore, HARD_TTL_MS, KV_CACHE_TTL_SECONDS } from '../../worker/flags/flags-store';
import { loggedEvents } from './log-lines';
import { callDeepHealth, callWorker } from './support';
import { resilienceFigure } from './tally';
import { signWithIssuer, trustTestIssuer } from './tokens';

const flagsDoc = (chatkit: Record<string, unknown>) => v.parse(v.any(), { chatkit }) as FlagInputs['flags'];
const inputs = (overrides: Partial<FlagInputs> = {}): FlagInputs => ({
  rollback: false,
  chatkitConfigured: true,
  flags: parseOk(JSON.stringify({ chatkit: { rollout_percent: 100 } })),
  ...overrides,
});
function parseOk(text: string) {
  const parsed = parseFlagsDocument(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe('resolution order (first match wins)', () => {
  it('rollback beats everything, even an allow-listed user', () => {
    const flags = parseOk('{"chatkit":{"rollout_percent":100,"allow_users":["u"]}}');
    expect(resolveChatVariant(inputs({ rollback: true, flags }), 'u')).toEqual({ variant: 'legacy', reason: 'rollback' });
  });
  it('not configured beats the lists', () => {
    const flags = parseOk('{"chatkit":{"allow_users":["u"]}}');
    expect(resolveChatVariant(inputs({ chatkitConfigured: false, flags }), 'u')).toEqual({ variant: 'legacy', reason: 'not_configured' });
  });
  it('deny beats allow and the rollout', () => {
    const flags = parseOk('{"chatkit":{"rollout_percent":100,"allow_users":["u"],"deny_users":["u"]}}');
    expect(resolveChatVariant(inputs({ flags }), 'u')).toEqual({ variant: 'legacy', reason: 'denied' });
  });
  it('allow beats a 0% rollout', () => {
    const flags = parseOk('{"chatkit":{"rollout_percent":0,"allow_users":["u"]}}');
    expect(resolveChatVariant(inputs({ flags }), 'u')).toEqual({ variant: 'chatkit', reason: 'allowed' });
  });
  it('the sticky bucket decides the rest', () => {
    const id = 'bucket-probe';
    const bucket = rolloutBucket(id);
    expect(resolveChatVariant(inputs({ flags: parseOk(`{"chatkit":{"rollout_percent":${bucket + 1}}}`) }), id)).toEqual({
      variant: 'chatkit',
      reason: 'rollout',
    });
    expect(resolveChatVariant(inputs({ flags: parseOk(`{"chatkit":{"rollout_percent":${bucket}}}`) }), id)).toEqual({
      variant: 'legacy',
      reason: 'not_in_rollout',
    });
  });
  it('anonymous callers get ChatKit only at 100%', () => {
    expect(resolveChatVariant(inputs({ flags: parseOk('{"chatkit":{"rollout_percent":99}}') }), null)).toEqual({ variant: 'legacy', reason: 'anonymous' });
    expect(resolveChatVariant(inputs(), null)).toEqual({ variant: 'chatkit', reason: 'rollout' });
  });
  it('the default document sends everyone to legacy', () => {
    expect(resolveChatVariant(inputs({ flags: DEFAULT_FLAGS }), 'anyone').variant).toBe('legacy');
  });
});

describe('rollout buckets', () => {
  it('are fnv1a+fmix32("chatkit:" + id) mod 100: fixed vectors', () => {
    // Written out once from an independent implementation (arbitrary-precision integers,
    // masked to 32 bits, over the UTF-8 bytes), never computed by the code under test.
    const vectors: Array<[string, number]> = [
      ['', 37], // hash 772133437
      ['a', 35], // 1683738335
      ['alice', 44], // 1680562744
      ['bob', 16], // 3077477716
      ['user_1', 87], // 986824087
      ['user_2', 44], // 1244341944
      ['u_123', 97], // 1915979397
      ['Zx9QmK2pL7vB', 10], // 3821647510
      ['00000000-0000-4000-8000-000000000000', 32], // 3132534832
      ['ünïcödé', 79], // 3453157979
      ['用户', 19], // 3209150419
      ['🚀rocket', 61], // 1646801561
    ];
    expect(vectors.map(([id]) => [id, rolloutBucket(id)])).toEqual(vectors);
    // And what that means for a rollout: bob (bucket 16) is out at 16 %, in at 17 %.
    expect(resolveChatVariant(inputs({ flags: parseOk('{"chatkit":{"rollout_percent":16}}') }), 'bob')).toEqual({
      variant: 'legacy',
      reason: 'not_in_rollout',
    });
    expect(resolveChatVariant(inputs({ flags: parseOk('{"chatkit":{"rollout_percent":17}}') }), 'bob')).toEqual({ variant: 'chatkit', reason: 'rollout' });
  });

  const ids = Array.from({ length: 100_000 }, (_, i) => `user_${i.toString(36)}_${(i * 7919) % 1000}`);
  const buckets = ids.map(rolloutBucket);

  it('are uniform: 10% ± 0.5% and 50% ± 0.5% of 100,000 ids', () => {
    const share = (percent: number) => buckets.filter((bucket) => bucket < percent).length / ids.length;
    expect(Math.abs(share(10) - 0.1)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(share(50) - 0.5)).toBeLessThanOrEqual(0.005);
  });

  it('are monotonic: everyone in at 10% is still in at 50% and 100%', () => {
    const flagsAt = (percent: number) => parseOk(`{"chatkit":{"rollout_percent":${percent}}}`);
    const inAt = (percent: number) =>
      new Set(ids.slice(0, 20_000).filter((id) => resolveChatVariant(inputs({ flags: flagsAt(percent) }), id).variant === 'chatkit'));
    const at10 = inAt(10);
    const at50 = inAt(50);
    expect(at10.size).toBeGreaterThan(0);
    for (const id of at10) expect(at50.has(id)).toBe(true);
    expect(inAt(100).size).toBe(20_000);
  });

  it('are stable across calls (sticky)', () => {
    expect(ids.slice(0, 1000).map(rolloutBucket)).toEqual(buckets.slice(0, 1000));
  });
});

describe('flag schema', () => {
  it('keeps unknown fields and rejects wrong types naming the field', () => {
    const kept = parseFlagsDocument('{"chatkit":{"rollout_percent":5,"new_knob":true},"other":1}');
    expect(kept.ok && (kept.value as Record<string, unknown>).other).toBe(1);
    const wrong = parseFlagsDocument('{"chatkit":{"rollout_percent":"5"}}');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.error).toContain('chatkit.rollout_percent');
    const badList = parseFlagsDocument('{"chatkit":{"deny_users":"alice"}}');
    expect(!badList.ok && badList.error).toContain('chatkit.deny_users');
  });
});

/** A fresh wrapper per test: the isolate's flag store is keyed by the binding object. */
function freshKv(): KVNamespace {
  return {
    get: (key: string, options?: KVNamespaceGetOptions<'text'>) => env.FLAGS.get(key, options as KVNamespaceGetOptions<'text'>),
    put: env.FLAGS.put.bind(env.FLAGS),
    delete: env.FLAGS.delete.bind(env.FLAGS),
    list: env.FLAGS.list.bind(env.FLAGS),
    getWithMetadata: env.FLAGS.getWithMetadata.bind(env.FLAGS),
  } as unknown as KVNamespace;
}

describe('FlagsStore cache bound (controllable clock)', () => {
  afterEach(async () => {
    await env.FLAGS.delete('rollback');
    await env.FLAGS.delete('flags');
  });

  it('serves from the isolate within the soft TTL, refreshes in the background after, waits past the hard TTL', async () => {
    let now = 1_000_000;
    const store = new FlagsStore(freshKv(), { softTtlMs: 5_000, now: () => now });
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => pending.push(p);

    await env.FLAGS.put('rollback', 'false');
    expect((await store.snapshot(waitUntil)).rollback).toBe(false);
    expect(store.kvReads).toBe(2); // rollback + flags, once

    await env.FLAGS.put('rollback', 'true');
    now += 4_999; // inside the soft TTL: the hot path makes no KV read
    for (let i = 0; i < 100; i += 1) expect((await store.snapshot(waitUntil)).rollback).toBe(false);
    expect(store.kvReads).toBe(2);

    now += 2; // past soft TTL: still the cached value, one background read each key
    expect((await store.snapshot(waitUntil)).rollback).toBe(false);
    await Promise.all(pending);
    expect(store.kvReads).toBe(4);
    expect((await store.snapshot(waitUntil)).rollback).toBe(true);

    await env.FLAGS.put('rollback', 'false');
    now += HARD_TTL_MS; // past the hard TTL: the request itself waits for KV
    expect((await store.snapshot(waitUntil)).rollback).toBe(false);
  });

  it('documents a worst case of at most 60 s plus KV propagation', () => {
    expect(HARD_TTL_MS / 1000 + KV_CACHE_TTL_SECONDS).toBeLessThanOrEqual(60);
  });
});

describe('bad KV values never break a request', () => {
  afterEach(async () => {
    await env.FLAGS.delete('rollback');
    await env.FLAGS.delete('flags');
  });

  const badFlags = [
    '{not json',
    '[]',
    '"a string"',
    '{"chatkit":{"rollout_percent":"50"}}',
    '{"chatkit":{"rollout_percent":150}}',
    '{"chatkit":{"allow_users":[1,2]}}',
    '{"chatkit":null}',
    'x'.repeat(1_000_000),
  ];
  const badFlagsSurvived = resilienceFigure('faults_survived', badFlags.length);
  it.each(badFlags.map((value) => [value.length > 60 ? `${value.slice(0, 20)}… (${value.length} bytes)` : value, value]))(
    'flags = %s keeps the last good value and logs once',
    async (_label, value) => {
      let now = 0;
      const store = new FlagsStore(freshKv(), { softTtlMs: 1_000, hardTtlMs: 1_000, now: () => now });
      const warn = vi.spyOn(console, 'warn');
      try {
        await env.FLAGS.put('flags', '{"chatkit":{"rollout_percent":42}}');
        expect((await store.snapshot(() => {})).flags.chatkit.rollout_percent).toBe(42);

        await env.FLAGS.put('flags', value);
        for (let i = 0; i < 3; i += 1) {
          now += 2_000;
          const snapshot = await store.snapshot(() => {});
          expect(snapshot.flags.chatkit.rollout_percent).toBe(42);
          expect(snapshot.problems.flags).toBeTruthy();
        }
        const logged = loggedEvents(warn, 'flags_value_invalid');
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ key: 'flags', using: 'last_good' });
        expect(JSON.stringify(logged[0]).length).toBeLessThan(2_000); // the junk itself is not logged
        await badFlagsSurvived.record();
      } finally {
        warn.mockRestore();
      }
    },
  );

  it.each(['yes', '1', '', 'TRUE!', 'on'])('rollback = %j falls back to the safe default without throwing', async (value) => {
    let now = 0;
    const store = new FlagsStore(freshKv(), { softTtlMs: 1_000, now: () => now });
    await env.FLAGS.put('rollback', value);
    const snapshot = await store.snapshot(() => {});
    expect(snapshot.rollback).toBe(false);
    expect(snapshot.problems.rollback).toContain('must be "true" or "false"');
  });

  it('an invalid document with no last good value means legacy for everyone, and /healthz?deep=1 says degraded', async () => {
    await env.FLAGS.put('flags', '{"chatkit": {"rollout_percent": true}}');
    const kv = freshKv();
    const token = await signWithIssuer({ payload: { sub: 'degraded-user' } });
    const flags = await callWorker('/api/flags', { headers: { authorization: `Bearer ${token}` } }, { ...trustTestIssuer(), FLAGS: kv });
    expect(flags.status).toBe(200);
    expect(v.parse(FlagsResponseSchema, await flags.json())).toMatchObject({ chat: { variant: 'legacy', reason: 'not_in_rollout' }, rollout_percent: 0 });

    const health = await callDeepHealth({ FLAGS: kv });
    const body = (await health.json()) as { status: string; checks: { kv: { status: string; problems: Record<string, string> } } };
    expect(body.checks.kv.status).toBe('degraded');
    expect(body.checks.kv.problems.flags).toContain('chatkit.rollout_percent');
    expect(body.status).toBe('degraded');
  });
});

describe('GET /api/flags', () => {
  afterEach(async () => {
    await env.FLAGS.delete('rollback');
    await env.FLAGS.delete('flags');
  });

  async function flagsFor(sub: string | null, kvValues: Record<string, string>, vars: Record<string, unknown> = {}) {
    for (const [key, value] of Object.entries(kvValues)) await env.FLAGS.put(key, value);
    const headers: Record<string, string> = sub ? { authorization: `Bearer ${await signWithIssuer({ payload: { sub } })}` } : {};
    const res = await callWorker('/api/flags', { headers }, { ...trustTestIssuer(), FLAGS: freshKv(), ...vars });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return v.parse(FlagsResponseSchema, await res.json());
  }

  it('answers the contract shape for a user in the rollout', async () => {
    const body = await flagsFor('alice', { flags: '{"chatkit":{"rollout_percent":100}}' });
    expect(body).toEqual({
      chat: { variant: 'chatkit', reason: 'rollout' },
      rollback: false,
      rollout_percent: 100,
      chatkit: { mode: 'backend', api_url: '/api/chatkit', domain_key: 'domain_pk_localhost_dev' },
    });
  });

  it('KV rollback sends everyone to legacy', async () => {
    const body = await flagsFor('alice', { flags: '{"chatkit":{"rollout_percent":100}}', rollback: 'true' });
    expect(body.chat).toEqual({ variant: 'legacy', reason: 'rollback' });
    expect(body.rollback).toBe(true);
  });

  it('the ROLLBACK_CHAT var is a kill switch too', async () => {
    const body = await flagsFor('alice', { flags: '{"chatkit":{"rollout_percent":100}}' }, { ROLLBACK_CHAT: 'true' });
    expect(body.chat.reason).toBe('rollback');
  });

  it('hosted mode without OpenAI credentials resolves to legacy / not_configured', async () => {
    const body = await flagsFor(
      'alice',
      { flags: '{"chatkit":{"rollout_percent":100}}' },
      { CHATKIT_MODE: 'hosted', OPENAI_API_KEY: '', CHATKIT_WORKFLOW_ID: '' },
    );
    expect(body.chat).toEqual({ variant: 'legacy', reason: 'not_configured' });
    expect(body.chatkit.mode).toBe('hosted');
  });

  it('allow and deny lists apply to the token user only', async () => {
    const flags = '{"chatkit":{"rollout_percent":0,"allow_users":["vip"],"deny_users":["blocked"]}}';
    expect((await flagsFor('vip', { flags })).chat).toEqual({ variant: 'chatkit', reason: 'allowed' });
    expect((await flagsFor('blocked', { flags: '{"chatkit":{"rollout_percent":100,"deny_users":["blocked"]}}' })).chat.reason).toBe('denied');
  });

  it('an anonymous caller gets the anonymous answer; a bad token is 401, not anonymous', async () => {
    expect((await flagsFor(null, { flags: '{"chatkit":{"rollout_percent":50}}' })).chat).toEqual({ variant: 'legacy', reason: 'anonymous' });
    const res = await callWorker('/api/flags', { headers: { authorization: 'Bearer junk' } }, trustTestIssuer());
    expect(res.status).toBe(401);
  });
});
