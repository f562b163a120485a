/** What Better Auth's client answers when a call fails (`{data: null, error}`). */
export interface AuthClientError {
  message?: string | undefined;
  code?: string | undefined;
  status: number;
  statusText: string;
}

interface AuthClientResult {
  error: AuthClientError | null;
}

/** The part of Better Auth's client the SPA uses; a seam for tests and for reading the code. */
export interface AuthClientPort {
  signIn: { email(body: { email: string; password: string }): Promise<AuthClientResult> };
  signUp: { email(body: { email: string; password: string; name: string }): Promise<AuthClientResult> };
  signOut(): Promise<unknown>;
}

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
