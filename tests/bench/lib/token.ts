import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface BenchKeys {
  /** `{ keys: [publicJwk] }`, served by the fast origin at /api/auth/jwks. */
  jwks: { keys: JWK[] };
  sign(claims: { sub: string; issuer: string; audience: string; ttlSeconds?: number }): Promise<string>;
}

/** An Ed25519 key of the bench's own, shaped like Better Auth's JWT plugin keys (EdDSA, kid). */
export async function createBenchKeys(): Promise<BenchKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = 'bench-ed25519';
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return {
    jwks: { keys: [publicJwk] },
    sign: ({ sub, issuer, audience, ttlSeconds = 3600 }) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  };
}
