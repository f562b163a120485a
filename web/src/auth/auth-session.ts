import { AccessTokenSource, type AccessToken } from './access-token';
import { loadBrowserAuthClient } from './auth-client';
import type { AuthClientError, AuthClientPort } from './auth-client-port';
import { createAuthFetch, type AuthFetch } from './auth-fetch';

export interface SignedInUser {
  id: string;
  name: string | null;
  email: string | null;
}

export type AuthState = { status: 'loading' } | { status: 'signed-out'; notice: string | null } | { status: 'signed-in'; user: SignedInUser };

export type AuthResult = { ok: true } | { ok: false; message: string };

export const SESSION_EXPIRED_NOTICE = 'Your session has expired. Please sign in again.';
const OFFLINE_MESSAGE = "We couldn't reach the server. Check your connection and try again.";

export interface AuthSessionOptions {
  /** Better Auth's client (loaded lazily by default). */
  loadClient?: () => Promise<AuthClientPort>;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Words for what Better Auth answered; its own messages are already user-facing. */
function describeAuthFailure(error: AuthClientError, action: 'sign-in' | 'sign-up'): string {
  if (error.status === 429) return 'Too many attempts. Please wait a minute and try again.';
  if (error.status >= 500) return 'The sign-in service is unavailable right now. Please try again shortly.';
  if (action === 'sign-in' && (error.status === 401 || error.code === 'INVALID_EMAIL_OR_PASSWORD')) {
    return 'That email and password do not match an account.';
  }
  if (error.message) return error.message.endsWith('.') ? error.message : `${error.message}.`;
  return action === 'sign-in' ? 'Sign-in failed. Please try again.' : 'We could not create your account. Please try again.';
}

function userFrom(token: AccessToken): SignedInUser {
  return { id: token.claims.sub, name: token.claims.name ?? null, email: token.claims.email ?? null };
}

/**
 * The browser's view of who is signed in: Better Auth's session cookie for sign-in/out, and the
 * short-lived JWT (from `/api/auth/token`) that the worker's `/api/*` routes want as a Bearer token.
 * A tiny external store, so React reads it with useSyncExternalStore and non-React code (authFetch,
 * the token timer) can change it.
 */
export class AuthSession {
  readonly authFetch: AuthFetch;
  readonly #loadClient: () => Promise<AuthClientPort>;
  readonly #tokens: AccessTokenSource;
  readonly #listeners = new Set<() => void>();
  #state: AuthState = { status: 'loading' };
  #restoring: Promise<void> | null = null;

  constructor(options: AuthSessionOptions = {}) {
    this.#loadClient = options.loadClient ?? loadBrowserAuthClient;
    this.#tokens = new AccessTokenSource({
      fetch: options.fetch,
      now: options.now,
      onSessionLost: () => this.#expire(),
    });
    this.authFetch = createAuthFetch({
      getToken: () => this.#tokens.get(),
      refreshToken: async () => (await this.#tokens.refresh())?.value ?? null,
      onUnauthorized: () => this.#expire(),
      fetch: options.fetch,
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getState = (): AuthState => this.#state;

  /** Starts downloading Better Auth's client before it is needed (the sign-in page calls this). */
  preloadClient(): void {
    this.#loadClient().catch(() => {
      // Reported when the user actually submits the form.
    });
  }

  /** On boot: is there a session cookie? Runs once however often it is called (StrictMode). */
  restore(): Promise<void> {
    this.#restoring ??= this.#tokens.refresh().then(
      (token) => this.#setState(token ? { status: 'signed-in', user: userFrom(token) } : { status: 'signed-out', notice: null }),
      () => this.#setState({ status: 'signed-out', notice: OFFLINE_MESSAGE }),
    );
    return this.#restoring;
  }

  async signIn(credentials: { email: string; password: string }): Promise<AuthResult> {
    try {
      const client = await this.#loadClient();
      const { error } = await client.signIn.email(credentials);
      if (error) return { ok: false, message: describeAuthFailure(error, 'sign-in') };
    } catch {
      return { ok: false, message: OFFLINE_MESSAGE };
    }
    return this.#startSession('Signed in, but the session could not be started. Please try again.');
  }

  async signUp(details: { name: string; email: string; password: string }): Promise<AuthResult> {
    try {
      const client = await this.#loadClient();
      const { error } = await client.signUp.email(details);
      if (error) return { ok: false, message: describeAuthFailure(error, 'sign-up') };
    } catch {
      return { ok: false, message: OFFLINE_MESSAGE };
    }
    // The origin signs new users in right away; if a deployment does not, say what to do next.
    return this.#startSession('Your account is ready. Please sign in.');
  }

  /** Forgets the token at once (the UI switches immediately), then ends the server session. */
  async signOut(notice: string | null = null): Promise<void> {
    this.#tokens.clear();
    this.#setState({ status: 'signed-out', notice });
    try {
      await (await this.#loadClient()).signOut();
    } catch {
      // The token is gone from memory already; a stale cookie only means the next boot signs in again.
    }
  }

  async #startSession(messageIfNoSession: string): Promise<AuthResult> {
    let token: AccessToken | null;
    try {
      token = await this.#tokens.refresh();
    } catch {
      return { ok: false, message: OFFLINE_MESSAGE };
    }
    if (!token) return { ok: false, message: messageIfNoSession };
    this.#setState({ status: 'signed-in', user: userFrom(token) });
    return { ok: true };
  }

  #expire(): void {
    if (this.#state.status === 'signed-in') void this.signOut(SESSION_EXPIRED_NOTICE);
  }

  #setState(next: AuthState): void {
    this.#state = next;
    for (const listener of this.#listeners) listener();
  }
}
