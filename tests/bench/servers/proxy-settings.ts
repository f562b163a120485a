import { createRemoteJWKSet } from 'jose';

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
  return {
    port: Number(requiredEnv('BENCH_PROXY_PORT')),
    originUrl: requiredEnv('BENCH_ORIGIN_URL'),
    issuer: requiredEnv('BENCH_ISSUER'),
    audience: requiredEnv('BENCH_AUDIENCE'),
    jwks: createRemoteJWKSet(new URL(requiredEnv('BENCH_JWKS_URL')), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3_000 }),
  };
}
