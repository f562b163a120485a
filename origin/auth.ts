/**
 * Better Auth for the reference origin: email + password, in-memory, and the JWT plugin whose
 * EdDSA tokens (JWKS at `/api/auth/jwks`) the worker verifies. Issuer and audience are the
 * origin's own URL, which is why the instance is built only once the listening port is known.
 */
import { betterAuth } from 'better-auth';
import { memoryAdapter, type MemoryDB } from 'better-auth/adapters/memory';
import { jwt } from 'better-auth/plugins';

export interface OriginAuthOptions {
  /** The origin's own URL, e.g. `http://127.0.0.1:8788`: base URL, JWT issuer and audience. */
  baseURL: string;
  secret: string;
  /** Origins allowed past Better Auth's CSRF check, besides `baseURL` (the worker's public URL). */
  trustedOrigins: readonly string[];
}

export const AUTH_BASE_PATH = '/api/auth';
export const JWT_EXPIRATION = '15m';

/** The memory adapter does not create tables on demand, so every model starts as an empty list. */
function emptyAuthDb(): MemoryDB {
  return { user: [], session: [], account: [], verification: [], jwks: [] };
}

export function createOriginAuth(options: OriginAuthOptions) {
  const db = emptyAuthDb();
  const auth = betterAuth({
    baseURL: options.baseURL,
    basePath: AUTH_BASE_PATH,
    secret: options.secret,
    database: memoryAdapter(db),
    emailAndPassword: { enabled: true, autoSignIn: true },
    plugins: [jwt({ jwt: { issuer: options.baseURL, audience: options.baseURL, expirationTime: JWT_EXPIRATION } })],
    trustedOrigins: [...new Set([options.baseURL, ...options.trustedOrigins])],
    // Better Auth skips its Origin check when it detects a test runner (NODE_ENV=test, vitest);
    // the worker's tests must meet the same CSRF check a browser does, so it is forced on.
    advanced: { disableOriginCheck: false },
    telemetry: { enabled: false },
  });
  return { auth, db };
}

export type OriginAuth = ReturnType<typeof createOriginAuth>['auth'];
