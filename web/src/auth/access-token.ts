import * as v from 'valibot';
import { TokenResponseSchema } from '../../../shared/auth';
import { readAccessTokenClaims, type AccessTokenClaims } from './jwt-claims';

const TOKEN_URL = '/api/auth/token';
/** Refresh this long before `exp`, so a request never leaves with an almost-expired token. */
export const REFRESH_LEAD_MS = 60_000;
/** A token closer than this to `exp` is treated as expired (clock skew, slow networks). */
const EXPIRY_SKEW_MS = 10_000;
/** After a failed scheduled refresh (offline), try again this much later. */
const RETRY_AFTER_FAILURE_MS = 15_000;

export interface AccessToken {
  value: string;
  claims: AccessTokenClaims;
}

export interface AccessTokenSourceOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Told when a refresh finds no session any more (the cookie expired or was revoked). */
  onSessionLost?: () => void;
}

/**
 * Holds the access token in memory only (never localStorage: a token there outlives the tab and
 * is readable by any script), refreshes it about a minute before it expires, and de-duplicates
 * concurrent refreshes so a burst of 401s costs one call to the token endpoint.
 */
export class AccessTokenSource {
  #token: AccessToken | null = null;
  #inFlight: Promise<AccessToken | null> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #generation = 0;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #onSessionLost: () => void;

  constructor(options: AccessTokenSourceOptions = {}) {
    // Looked up on every call, not captured: tests (and polyfills) may replace global fetch.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#onSessionLost = options.onSessionLost ?? (() => {});
  }

  get current(): AccessToken | null {
    return this.#token;
  }

  /** A token that is still good for a while, refreshing first if needed; `null` when signed out. */
  async get(): Promise<string | null> {
    const token = this.#token;
    if (token && token.claims.exp * 1000 - this.#now() > EXPIRY_SKEW_MS) return token.value;
    return (await this.refresh())?.value ?? null;
  }

  /**
   * Asks the token endpoint (with the session cookie) for a fresh token. Resolves `null` when there
   * is no session (401); rejects on network errors, keeping the current token.
   */
  refresh(): Promise<AccessToken | null> {
    this.#inFlight ??= this.#fetchToken().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  /** Forgets the token (sign-out); a refresh already on its way is ignored when it lands. */
  clear(): void {
    this.#generation += 1;
    this.#token = null;
    this.#inFlight = null;
    this.#cancelTimer();
  }

  async #fetchToken(): Promise<AccessToken | null> {
    const generation = this.#generation;
    const response = await this.#fetch(TOKEN_URL, {
      method: 'GET',
      credentials: 'include',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (generation !== this.#generation) return null;
    if (response.status === 401 || response.status === 403) {
      this.clear();
      return null;
    }
    if (!response.ok) throw new Error(`The token endpoint answered ${response.status}.`);
    const parsed = v.safeParse(TokenResponseSchema, await response.json());
    const claims = parsed.success ? readAccessTokenClaims(parsed.output.token) : null;
    if (!parsed.success || !claims) throw new Error('The token endpoint sent something that is not a JWT.');
    if (generation !== this.#generation) return null;
    this.#token = { value: parsed.output.token, claims };
    this.#scheduleRefresh(claims.exp * 1000);
    return this.#token;
  }

  #scheduleRefresh(expiresAtMs: number): void {
    this.#cancelTimer();
    const lifetime = expiresAtMs - this.#now();
    // Short-lived tokens (tests, odd configs) refresh at half-life instead of looping.
    const lead = Math.min(REFRESH_LEAD_MS, lifetime / 2);
    this.#armTimer(Math.max(lifetime - lead, 1_000));
  }

  #armTimer(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.refresh().then(
        (token) => {
          if (!token) this.#onSessionLost();
        },
        () => this.#armTimer(RETRY_AFTER_FAILURE_MS),
      );
    }, delayMs);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
