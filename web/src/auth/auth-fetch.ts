/** `fetch`'s own signature, so authFetch can stand in wherever a fetch is expected (ChatKit). */
export type AuthFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface AuthFetchDeps {
  /** The current access token, refreshed first when it is (nearly) expired; null if signed out. */
  getToken: () => Promise<string | null>;
  /** A new token from the session cookie, ignoring the one in memory; null if the session is gone. */
  refreshToken: () => Promise<string | null>;
  /** The worker still says 401 with a fresh token: the session is over. */
  onUnauthorized: () => void;
  fetch?: typeof fetch;
}

/**
 * Headers for a request with `Authorization: Bearer <token>` added, keeping every header the
 * caller set, whether they came as a plain object, an array of pairs, a Headers instance, or on
 * a Request passed as `input` (init.headers would otherwise replace the Request's own headers).
 */
export function withBearer(input: RequestInfo | URL, init: RequestInit | undefined, token: string | null): Headers {
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  for (const [name, value] of new Headers(init?.headers)) headers.set(name, value);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return headers;
}

/** A stream body can be sent once only, so such a request cannot be retried after a 401. */
function canReplay(input: RequestInfo | URL, init: RequestInit | undefined): boolean {
  if (init?.body instanceof ReadableStream) return false;
  return !(input instanceof Request) || input.bodyUsed === false;
}

/**
 * `fetch` for the worker's Bearer-protected routes: adds the access token; on a 401 refreshes the
 * token once and retries once; if the worker still answers 401 the session is over, so the user is
 * signed out (the caller still gets the 401 response to settle its own state).
 */
export function createAuthFetch(deps: AuthFetchDeps): AuthFetch {
  const send = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));

  return async function authFetch(input, init) {
    // Keep an untouched copy of a Request input: its body is consumed by the first attempt.
    const retryInput = input instanceof Request ? input.clone() : input;
    const firstToken = await deps.getToken();
    const first = await send(input, { ...init, headers: withBearer(input, init, firstToken) });
    if (first.status !== 401) return first;

    let freshToken: string | null;
    try {
      freshToken = await deps.refreshToken();
    } catch {
      // Offline or the token endpoint failed: not proof that the session is over, so keep it.
      return first;
    }
    if (!freshToken) {
      deps.onUnauthorized();
      return first;
    }
    if (!canReplay(retryInput, init)) return first;
    const second = await send(retryInput, { ...init, headers: withBearer(retryInput, init, freshToken) });
    if (second.status === 401) deps.onUnauthorized();
    return second;
  };
}
