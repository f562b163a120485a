import { jwtClient } from 'better-auth/client/plugins';
import { createAuthClient } from 'better-auth/react';
import type { AuthClientPort } from './auth-client-port';

/**
 * Better Auth's client. The worker proxies `/api/auth/*` to the origin on the same origin, so the
 * session cookie is first-party and no CORS is involved. Loaded lazily (see auth-client.ts).
 */
export function createBrowserAuthClient(): AuthClientPort {
  return createAuthClient({
    baseURL: window.location.origin,
    plugins: [jwtClient()],
    // Better Auth captures `fetch` when the client is created; look it up per call instead so
    // that wrappers installed later (tests, monitoring) are honoured.
    fetchOptions: { customFetchImpl: (input, init) => globalThis.fetch(input, init) },
  });
}
