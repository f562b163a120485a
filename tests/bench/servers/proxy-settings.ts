import { createRemoteJWKSet, jwtVerify } from 'jose';

/** A variable the bench must have set for this server process. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/**
 * What both Node proxies read from the bench: BENCH_PROXY_PORT, BENCH_ORIGIN_URL, BENCH_ISSUER,
 * BENCH_AUDIENCE, and the JWKS at BENCH_JWKS_URL with the worker's cache policy (worker/lib/jwt.ts):
 * fetched once, refetched on an unknown kid at most every 30 s.
 */
export function proxySettings() {
  const issuer = requiredEnv('BENCH_ISSUER');
  const audience = requiredEnv('BENCH_AUDIENCE');
  const jwks = createRemoteJWKSet(new URL(requiredEnv('BENCH_JWKS_URL')), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3_000 });
  return {
    port: Number(requiredEnv('BENCH_PROXY_PORT')),
    originUrl: requiredEnv('BENCH_ORIGIN_URL'),
    /** The token's `sub` after the checks the worker makes (worker/lib/jwt.ts); null when refused. */
    async verifiedSubject(token: string): Promise<string | null> {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience,
          algorithms: ['EdDSA', 'ES256', 'RS256'],
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 30,
        });
        return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
      } catch {
        return null;
      }
    },
  };
}
