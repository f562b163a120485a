import * as jose from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { ErrorBodySchema } from '../../shared/errors';
import * as v from 'valibot';
import { signUpAndGetToken } from '../../origin/client';
import { originRequestsMatching, uniqueMarker } from './origin-log';
import { callWorker } from './support';
import { base64url, compact, decodeSegment, hmacSign, issuerJwks, nowSeconds, signWithIssuer, trustTestIssuer } from './tokens';
import { resilienceFigure } from './tally';

/**
 * The authentication attack corpus: every case must be answered 401 `unauthorized` with a
 * `WWW-Authenticate: Bearer` challenge, and the origin must never see the request.
 */

interface AttackCase {
  name: string;
  /** The full Authorization header value (or null for none). */
  authorization: () => Promise<string | null>;
  env?: Record<string, string>;
}

const bearer = (token: string) => `Bearer ${token}`;
const issuerClaims = () => ({ iss: inject('issuerUrl'), aud: inject('issuerAudience'), sub: 'attacker', iat: nowSeconds(), exp: nowSeconds() + 600 });
/** Changes a character in the middle of the signature: the last one may only carry padding bits. */
const flipSignatureChar = (token: string) => {
  const at = token.lastIndexOf('.') + 10;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
};
const edPublicKeyBytes = async () => {
  const ed = (await issuerJwks()).keys.find((key) => key.kid === 'test-ed');
  return jose.base64url.decode(ed!.x!);
};

const cases: AttackCase[] = [
  { name: 'no Authorization header', authorization: async () => null },
  { name: 'empty Bearer', authorization: async () => 'Bearer ' },
  { name: 'Basic scheme', authorization: async () => `Basic ${btoa('user:pass')}` },
  { name: 'token without scheme', authorization: async () => signWithIssuer() },
  { name: 'two Bearer tokens in one header', authorization: async () => `${bearer(await signWithIssuer())}, ${bearer(await signWithIssuer())}` },
  ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
    name: `alg "${alg}" unsigned`,
    authorization: async () => bearer(compact({ alg, typ: 'JWT' }, issuerClaims())),
  })),
  { name: 'alg none with a signature', authorization: async () => bearer(compact({ alg: 'none' }, issuerClaims(), base64url('sig'))) },
  {
    name: 'HS256 signed with the JWKS public key (no secret configured)',
    authorization: async () => bearer(await hmacSign({ alg: 'HS256', kid: 'test-ed', typ: 'JWT' }, issuerClaims(), await edPublicKeyBytes())),
  },
  {
    name: 'HS256 signed with the public JWK text, while a secret is configured',
    env: { JWT_SECRET: 'a-server-side-secret-that-is-long-enough-0123456789' },
    authorization: async () => {
      const jwk = JSON.stringify((await issuerJwks()).keys[0]);
      return bearer(await hmacSign({ alg: 'HS256', kid: 'test-ed' }, issuerClaims(), new TextEncoder().encode(jwk)));
    },
  },
  { name: 'kid of the ES256 key on an EdDSA signature', authorization: async () => bearer(await signWithIssuer({ header: { kid: 'test-es' } })) },
  { name: 'unknown kid (key not in the JWKS)', authorization: async () => bearer(await signWithIssuer({ key: 'rogue' })) },
  { name: 'rogue key claiming a published kid', authorization: async () => bearer(await signWithIssuer({ key: 'rogue', header: { kid: 'test-ed' } })) },
  {
    name: 'RS256 header on an EdDSA signature',
    authorization: async () => {
      const [, payload, signature] = (await signWithIssuer()).split('.');
      return bearer(`${base64url(JSON.stringify({ alg: 'RS256', kid: 'test-rs' }))}.${payload}.${signature}`);
    },
  },
  {
    name: 'tampered header',
    authorization: async () => {
      const [header, payload, signature] = (await signWithIssuer()).split('.');
      return bearer(`${base64url(JSON.stringify({ ...decodeSegment(header!), typ: 'at+jwt' }))}.${payload}.${signature}`);
    },
  },
  {
    name: 'tampered payload (sub swapped)',
    authorization: async () => {
      const [header, payload, signature] = (await signWithIssuer({ payload: { sub: 'alice' } })).split('.');
      return bearer(`${header}.${base64url(JSON.stringify({ ...decodeSegment(payload!), sub: 'bob' }))}.${signature}`);
    },
  },
  { name: 'tampered signature', authorization: async () => bearer(flipSignatureChar(await signWithIssuer())) },
  { name: 'signature stripped', authorization: async () => bearer((await signWithIssuer()).split('.').slice(0, 2).join('.') + '.') },
  { name: 'expired', authorization: async () => bearer(await signWithIssuer({ payload: { exp: nowSeconds() - 3600 } })) },
  { name: 'not yet valid (nbf in an hour)', authorization: async () => bearer(await signWithIssuer({ payload: { nbf: nowSeconds() + 3600 } })) },
  { name: 'wrong iss', authorization: async () => bearer(await signWithIssuer({ payload: { iss: 'https://evil.example' } })) },
  { name: 'wrong aud', authorization: async () => bearer(await signWithIssuer({ payload: { aud: 'another-app' } })) },
  { name: 'missing sub', authorization: async () => bearer(await signWithIssuer({ payload: { sub: null } })) },
  { name: 'sub is a number', authorization: async () => bearer(await signWithIssuer({ payload: { sub: 42 } })) },
  { name: 'sub is an object', authorization: async () => bearer(await signWithIssuer({ payload: { sub: { id: 'x' } } })) },
  { name: 'sub is empty', authorization: async () => bearer(await signWithIssuer({ payload: { sub: '' } })) },
  // `sub` must be a clean identifier (shared/auth.ts): these would reach the origin as one user
  // under several rate-limit keys, or could not be sent as a header at all.
  ...[
    ['leading space', ' victim'],
    ['trailing space', 'victim '],
    ['trailing tab', 'victim\t'],
    ['a newline', 'vic\ntim'],
    ['a CR', 'vic\rtim'],
    ['a NUL', 'vic\u0000tim'],
    ['DEL', 'vic\u007ftim'],
    ['a right-to-left override', '\u202evictim'],
    ['a zero-width space', 'vic\u200btim'],
    ['non-ASCII letters', 'vïctim'],
    ['only spaces', '   '],
    ['256 characters', 'u'.repeat(256)],
  ].map(([what, sub]) => ({
    name: `sub with ${what}`,
    authorization: async () => bearer(await signWithIssuer({ payload: { sub } })),
  })),
  {
    name: 'missing exp',
    authorization: async () => {
      const [header, payload] = (await signWithIssuer()).split('.');
      const claims = decodeSegment(payload!);
      delete claims.exp;
      return bearer(`${header}.${base64url(JSON.stringify(claims))}.${base64url('x')}`);
    },
  },
  { name: 'token over 8 KB', authorization: async () => bearer(await signWithIssuer({ payload: { pad: 'x'.repeat(9000) } })) },
  { name: 'non-base64url characters', authorization: async () => bearer((await signWithIssuer()).replace(/-/g, '+').replace(/_/g, '/') + '==') },
  { name: 'five segments (JWE-looking)', authorization: async () => bearer(`${await signWithIssuer()}.${base64url('iv')}.${base64url('tag')}`) },
  { name: 'two segments', authorization: async () => bearer((await signWithIssuer()).split('.').slice(0, 2).join('.')) },
  { name: 'random garbage', authorization: async () => bearer('not-a-jwt-at-all') },
  {
    name: 'jku header pointing at the attacker',
    authorization: async () => bearer(await signWithIssuer({ key: 'rogue', header: { jku: 'https://evil.example/jwks' } })),
  },
  { name: 'x5u header', authorization: async () => bearer(await signWithIssuer({ header: { x5u: 'https://evil.example/cert.pem' } })) },
  {
    name: 'embedded jwk header supplying its own key',
    authorization: async () => {
      const rogue = (await issuerJwks()).keys[0];
      return bearer(await signWithIssuer({ key: 'rogue', header: { jwk: rogue } }));
    },
  },
  { name: 'x5c header', authorization: async () => bearer(await signWithIssuer({ header: { x5c: ['MIIB'] } })) },
  { name: 'unknown crit extension', authorization: async () => bearer(await signWithIssuer({ header: { crit: ['exp-ext'], 'exp-ext': true } })) },
  { name: 'JWKS endpoint answers junk', env: trustTestIssuer('/jwks-junk'), authorization: async () => bearer(await signWithIssuer()) },
  { name: 'JWKS endpoint hangs', env: trustTestIssuer('/jwks-slow'), authorization: async () => bearer(await signWithIssuer()) },
];

const attacksRejected = resilienceFigure('attacks_rejected', cases.length);
/** Measured per case from the origin's own request log, matched by the case's marker. */
const attacksReachedOrigin = resilienceFigure('attacks_reached_origin', cases.length);

describe('authentication attack corpus', () => {
  it.each(cases)('$name → 401, origin never contacted', async (attack) => {
    const marker = uniqueMarker('auth');
    const authorization = await attack.authorization();
    const headers: Record<string, string> = authorization === null ? {} : { authorization };
    const res = await callWorker(`/api/v1/__test/echo?m=${marker}`, { headers }, { ...trustTestIssuer(), ...attack.env });

    const atOrigin = await originRequestsMatching(marker);
    await attacksReachedOrigin.record(atOrigin.length);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const body = v.parse(ErrorBodySchema, await res.json());
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
    expect(atOrigin).toEqual([]);
    await attacksRejected.record();
  });

  it(`has at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
});

describe('valid tokens (the corpus above can fail)', () => {
  it.each(['ed', 'es', 'rs'] as const)('accepts a %s token from the trusted issuer and forwards its sub only', async (key) => {
    const marker = uniqueMarker('valid');
    const token = await signWithIssuer({ key, payload: { sub: `user-${key}` } });
    const res = await callWorker(
      `/api/v1/__test/echo?m=${marker}`,
      { headers: { authorization: `Bearer ${token}`, 'x-user-id': 'someone-else' } },
      trustTestIssuer(),
    );
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers['x-user-id']).toBe(`user-${key}`);
  });

  it('accepts a real Better Auth token (EdDSA, JWKS from the origin) with a lower-case scheme', async () => {
    const user = await signUpAndGetToken(inject('originUrl'));
    const res = await callWorker('/api/v1/__test/echo', { headers: { authorization: `bearer ${user.token}` } });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { headers: Record<string, string> };
    expect(echoed.headers['x-user-id']).toBe(user.userId);
  });

  it.each([
    ['255 characters', 'u'.repeat(255)],
    ['inner spaces and punctuation', 'user 42|github:octo-cat'],
  ])('accepts a sub of %s and forwards it unchanged', async (_what, sub) => {
    const token = await signWithIssuer({ payload: { sub } });
    const res = await callWorker('/api/v1/__test/echo', { headers: { authorization: `Bearer ${token}` } }, trustTestIssuer());
    expect(res.status).toBe(200);
    expect(((await res.json()) as { headers: Record<string, string> }).headers['x-user-id']).toBe(sub);
  });

  it('accepts an HS256 token signed with the configured secret', async () => {
    const secret = 'a-server-side-secret-that-is-long-enough-0123456789';
    const token = await hmacSign({ alg: 'HS256', typ: 'JWT' }, { ...issuerClaims(), sub: 'hs-user' }, new TextEncoder().encode(secret));
    const res = await callWorker('/api/v1/__test/echo', { headers: { authorization: `Bearer ${token}` } }, { ...trustTestIssuer(), JWT_SECRET: secret });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { headers: Record<string, string> }).headers['x-user-id']).toBe('hs-user');
  });
});
