import { describe, expect, inject, it } from 'vitest';
import { TOKEN_CACHE_MS, TokenError, TokenVerifier } from '../../worker/lib/jwt';
import type { Config } from '../../worker/config';
import { callWorker } from './support';
import { resilienceFigure } from './tally';
import { compact, nowSeconds, signWithIssuer, trustTestIssuer } from './tokens';
import { uniqueMarker } from './origin-log';
import { hostileStats, registeredScenarioUrl } from '../fakes/hostile-scenarios';

// two waves of 40 unknown kids
const attacksRejected = resilienceFigure('attacks_rejected', 80);

/**
 * The JWKS is fetched at most once at a time and once per cool-down, counted at the test issuer
 * (a Node peer, tests/fakes/test-issuer.ts); verified tokens are cached per isolate, observed on
 * a verifier with its own clock (no test sleeps).
 */

const issuer = () => inject('issuerUrl');
const taggedJwks = (tag: string, delayMs = 0) => `${issuer()}/jwks/t/${tag}${delayMs ? `?delay_ms=${delayMs}` : ''}`;
const fetchesOf = async (tag: string) => ((await (await fetch(`${issuer()}/jwks/t/${tag}/count`)).json()) as { fetches: number }).fetches;
const publish = (tag: string, keys: string[]) => fetch(`${issuer()}/jwks/t/${tag}/publish`, { method: 'POST', body: JSON.stringify(keys) });
const jwtConfig = (jwksUrl: string): Config['jwt'] => ({ jwksUrl, secret: null, issuer: issuer(), audience: inject('issuerAudience') });
/** A token naming a key nobody publishes: refused at key lookup, before any signature maths. */
const unknownKidToken = (kid: string) => compact({ alg: 'EdDSA', kid, typ: 'JWT' }, { iss: issuer(), sub: 'x', exp: nowSeconds() + 600 }, 'c2ln');

class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('one JWKS fetch at a time', () => {
  it('40 concurrent requests with unknown kids make exactly one fetch, and a second wave inside the cool-down none', async () => {
    const tag = uniqueMarker('stampede');
    const env = { ...trustTestIssuer(), JWT_JWKS_URL: taggedJwks(tag, 300) };
    const wave = () =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          callWorker('/api/v1/__test/echo', { headers: { authorization: `Bearer ${unknownKidToken(`${tag}-${i}`)}` } }, env),
        ),
      );
    const first = await wave();
    expect(first.map((res) => res.status)).toEqual(Array(40).fill(401));
    expect(await fetchesOf(tag)).toBe(1);
    const second = await wave();
    expect(second.map((res) => res.status)).toEqual(Array(40).fill(401));
    expect(await fetchesOf(tag)).toBe(1);
    await attacksRejected.record(80);
  });

  it('after the cool-down an unknown kid refetches once, however many arrive together; the cool-down counts from the fetch start', async () => {
    const tag = uniqueMarker('cooldown');
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(tag, 200));
    const good = await signWithIssuer({ key: 'ed' });

    // Cold: 20 valid tokens at once share the first fetch, which takes 5 s of this clock.
    const pending = Promise.all(Array.from({ length: 20 }, () => verifier.verify(good, config)));
    while ((await fetchesOf(tag)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(5_000);
    const cold = await pending;
    expect(cold.every((result) => result.userId === 'user-test')).toBe(true);
    expect(await fetchesOf(tag)).toBe(1);

    // 29.999 s after the fetch started: still cooling down. 2 ms later it is over, though the
    // fetch ended only 25 s before: the cool-down counts from the start.
    clock.advance(24_999);
    expect(await rejection(verifier.verify(unknownKidToken('k1'), config))).toBe('unknown_key');
    expect(await fetchesOf(tag)).toBe(1);

    clock.advance(2);
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => rejection(verifier.verify(unknownKidToken(`k2-${i}`), config))));
    expect(new Set(burst)).toEqual(new Set(['unknown_key']));
    expect(await fetchesOf(tag)).toBe(2);
    expect(verifier.jwks(config.jwksUrl!).fetchCount).toBe(2);
  });

  it('a rotation is picked up by the refetch an unknown kid triggers', async () => {
    const tag = uniqueMarker('rotate');
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(tag));
    await publish(tag, ['ed']);
    expect((await verifier.verify(await signWithIssuer({ key: 'ed' }), config)).userId).toBe('user-test');
    await publish(tag, ['ed', 'es']);
    clock.advance(30_001);
    expect((await verifier.verify(await signWithIssuer({ key: 'es' }), config)).userId).toBe('user-test');
    expect(await fetchesOf(tag)).toBe(2);
  });

  it('key sets older than 10 minutes are re-read on the next verification', async () => {
    const tag = uniqueMarker('stale');
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(tag));
    const token = await signWithIssuer({ key: 'ed' });
    await verifier.verify(token, config);
    clock.advance(10 * 60_000 + 1);
    await verifier.verify(await signWithIssuer({ key: 'ed', payload: { sub: 'other-user' } }), config);
    expect(await fetchesOf(tag)).toBe(2);
  });

  it('a JWKS endpoint answering 300 KB is not read whole: the token is refused', async () => {
    const id = uniqueMarker('huge-jwks');
    const padding = 'k'.repeat(300 * 1024);
    const jwksUrl = `${await registeredScenarioUrl(inject('hostileOriginUrl'), { kind: 'raw', id, headerLines: ['content-type: application/json'], body: JSON.stringify({ keys: [], padding }) })}/jwks`;
    const verifier = new TokenVerifier();
    expect(await rejection(verifier.verify(await signWithIssuer({ key: 'ed' }), jwtConfig(jwksUrl)))).toBe('jwks_unavailable');
    expect((await hostileStats(inject('hostileOriginUrl'), id)).connections).toBe(1);
  });
});

describe('verified-token cache', () => {
  it('a cached token skips the signature check until 60 s have passed', async () => {
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(uniqueMarker('cache')));
    const token = await signWithIssuer({ key: 'ed', expiresIn: '15m' });

    await verifier.verify(token, config);
    expect(verifier.signatureChecks).toBe(1);
    for (let i = 0; i < 5; i++) expect((await verifier.verify(token, config)).userId).toBe('user-test');
    expect(verifier.signatureChecks).toBe(1);

    clock.advance(TOKEN_CACHE_MS - 1);
    await verifier.verify(token, config);
    expect(verifier.signatureChecks).toBe(1);
    clock.advance(1);
    await verifier.verify(token, config);
    expect(verifier.signatureChecks).toBe(2);
  });

  it('holds a token no longer than its exp, after which it is refused', async () => {
    const clock = new FakeClock(nowSeconds() * 1000);
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(uniqueMarker('exp')));
    const token = await signWithIssuer({ key: 'ed', payload: { exp: nowSeconds() + 10 } });

    await verifier.verify(token, config);
    clock.advance(9_999);
    await verifier.verify(token, config);
    expect(verifier.signatureChecks).toBe(1);
    clock.advance(1);
    // Past exp the signature is checked again (and jose's 30 s clock tolerance still applies) …
    await verifier.verify(token, config);
    expect(verifier.signatureChecks).toBe(2);
    // … and once that is over too, the token is refused.
    clock.advance(31_000);
    expect(await rejection(verifier.verify(token, config))).toBe('expired');
  });

  it('a JWKS that changes empties the cache: a removed key stops being honoured at once', async () => {
    const tag = uniqueMarker('empty');
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(tag));
    await publish(tag, ['ed', 'es']);
    const edToken = await signWithIssuer({ key: 'ed' });
    await verifier.verify(edToken, config);
    await verifier.verify(await signWithIssuer({ key: 'es' }), config);
    expect(verifier.cachedTokens).toBe(2);

    // The ed key is withdrawn; a token with a kid the worker does not know makes it refetch.
    await publish(tag, ['es']);
    clock.advance(30_001);
    expect(await rejection(verifier.verify(unknownKidToken('rotated-in'), config))).toBe('unknown_key');
    expect(verifier.cachedTokens).toBe(0);
    expect(await rejection(verifier.verify(edToken, config))).toBe('unknown_key');
  });

  it('an unchanged JWKS keeps the cache', async () => {
    const tag = uniqueMarker('same');
    const clock = new FakeClock();
    const verifier = new TokenVerifier({ now: clock.now });
    const config = jwtConfig(taggedJwks(tag));
    await verifier.verify(await signWithIssuer({ key: 'ed' }), config);
    clock.advance(30_001);
    await rejection(verifier.verify(unknownKidToken('x'), config));
    expect(await fetchesOf(tag)).toBe(2);
    expect(verifier.cachedTokens).toBe(1);
  });

  it('never holds a refused token', async () => {
    const verifier = new TokenVerifier({ now: new FakeClock().now });
    const config = jwtConfig(taggedJwks(uniqueMarker('refused')));
    const refused = [
      await signWithIssuer({ key: 'ed', payload: { exp: nowSeconds() - 3600 } }),
      await signWithIssuer({ key: 'ed', payload: { aud: 'another-app' } }),
      await signWithIssuer({ key: 'ed', payload: { sub: ' victim' } }),
      await signWithIssuer({ key: 'rogue', header: { kid: 'test-ed' } }),
    ];
    for (const token of refused) {
      expect(await rejection(verifier.verify(token, config))).not.toBe('accepted');
      expect(await rejection(verifier.verify(token, config))).not.toBe('accepted');
    }
    expect(verifier.cachedTokens).toBe(0);
    expect(verifier.signatureChecks).toBe(refused.length * 2);
  });

  it('a token verified under one configuration is not trusted under another', async () => {
    const verifier = new TokenVerifier({ now: new FakeClock().now });
    const config = jwtConfig(taggedJwks(uniqueMarker('cfg')));
    const token = await signWithIssuer({ key: 'ed' });
    await verifier.verify(token, config);
    expect(await rejection(verifier.verify(token, { ...config, audience: 'another-app' }))).toBe('claim_invalid');
  });

  it('stays bounded: the oldest entry goes first', async () => {
    const verifier = new TokenVerifier({ now: new FakeClock().now, maxCachedTokens: 3 });
    const config = jwtConfig(taggedJwks(uniqueMarker('bound')));
    const tokens = await Promise.all([1, 2, 3, 4].map((i) => signWithIssuer({ key: 'ed', payload: { sub: `user-${i}` } })));
    for (const token of tokens) await verifier.verify(token, config);
    expect(verifier.cachedTokens).toBe(3);
    await verifier.verify(tokens[3]!, config);
    expect(verifier.signatureChecks).toBe(4);
    await verifier.verify(tokens[0]!, config);
    expect(verifier.signatureChecks).toBe(5);
  });
});
