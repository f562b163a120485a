import type { AuthClientPort } from './auth-client-port';

let loading: Promise<AuthClientPort> | null = null;

/**
 * Better Auth's browser client, loaded on first use: it is only needed to sign in, sign up or
 * sign out (tokens come from plain `fetch`), and it is about a sixth of the entry chunk's size.
 * A failed download is forgotten so the next attempt retries.
 */
export function loadBrowserAuthClient(): Promise<AuthClientPort> {
  loading ??= import('./better-auth-client').then(
    (module) => module.createBrowserAuthClient(),
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}
