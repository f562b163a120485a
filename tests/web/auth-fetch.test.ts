import { describe, expect, it, vi } from 'vitest';
import { AccessTokenSource, REFRESH_LEAD_MS } from '../../web/src/auth/access-token';
import { createAuthFetch, withBearer } from '../../web/src/auth/auth-fetch';
import { AuthSession, SESSION_EXPIRED_NOTICE } from '../../web/src/auth/auth-session';
import { readAccessTokenClaims } from '../../web/src/auth/jwt-claims';
import { FakeBackend, bearerOf, contractError, json, makeJwt } from './support/fake-backend';

describe('withBearer', () => {
  it.each([
    ['a plain object', { 'Content-Type': 'application/json', 'X-Trace': 'abc' }],
    [
      'an array of pairs',
      [
        ['Content-Type', 'application/json'],
        ['X-Trace', 'abc'],
      ] as [string, string][],
    ],
    ['a Headers instance', new Headers({ 'Content-Type': 'application/json', 'X-Trace': 'abc' })],
  ])('keeps the caller headers given as %s and adds the token', (_kind, headers) => {
    const merged = withBearer('/api/chatkit', { headers }, 'tok-1');
    expect(merged.get('authorization')).toBe('Bearer tok-1');
    expect(merged.get('content-type')).toBe('application/json');
    expect(merged.get('x-trace')).toBe('abc');
  });

  it("keeps a Request input's own headers (init.headers would otherwise replace them)", () => {
    const request = new Request('http://localhost:3000/api/chatkit', { headers: { 'X-ChatKit': '1' } });
    const merged = withBearer(request, undefined, 'tok-1');
    expect(merged.get('x-chatkit')).toBe('1');
    expect(merged.get('authorization')).toBe('Bearer tok-1');
  });

  it('replaces an Authorization header the caller set', () => {
    expect(withBearer('/x', { headers: { Authorization: 'Bearer stale' } }, 'fresh').get('authorization')).toBe('Bearer fresh');
  });
});

describe('createAuthFetch', () => {
  function setup(statuses: number[]) {
    const send = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => new Response(null, { status: statuses.shift() ?? 200 }));
    const deps = {
      getToken: vi.fn(async () => 'old-token'),
      refreshToken: vi.fn(async (): Promise<string | null> => 'new-token'),
      onUnauthorized: vi.fn(),
      fetch: send,
    };
    return { authFetch: createAuthFetch(deps), send, deps };
  }

  const authorizationOf = (call: [RequestInfo | URL, RequestInit?] | undefined) => new Headers(call?.[1]?.headers).get('authorization');

  it('adds the Bearer token and leaves a successful response alone', async () => {
    const { authFetch, send, deps } = setup([200]);
    const response = await authFetch('/api/v1/tasks', { headers: { Accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(send).toHaveBeenCalledTimes(1);
    expect(authorizationOf(send.mock.calls[0])).toBe('Bearer old-token');
    expect(new Headers(send.mock.calls[0]?.[1]?.headers).get('accept')).toBe('application/json');
    expect(deps.refreshToken).not.toHaveBeenCalled();
  });

  it('on a 401 refreshes the token once and retries once with the new token', async () => {
    const { authFetch, send, deps } = setup([401, 200]);
    const response = await authFetch('/api/v1/chat', { method: 'POST', body: '{"message":"hi"}' });
    expect(response.status).toBe(200);
    expect(deps.refreshToken).toHaveBeenCalledTimes(1);
    expect(send).toHaveBeenCalledTimes(2);
    expect(authorizationOf(send.mock.calls[1])).toBe('Bearer new-token');
    expect(send.mock.calls[1]?.[1]?.body).toBe('{"message":"hi"}');
    expect(deps.onUnauthorized).not.toHaveBeenCalled();
  });

  it('signs out when the retry is still 401, without a third attempt', async () => {
    const { authFetch, send, deps } = setup([401, 401, 200]);
    const response = await authFetch('/api/v1/tasks');
    expect(response.status).toBe(401);
    expect(send).toHaveBeenCalledTimes(2);
    expect(deps.refreshToken).toHaveBeenCalledTimes(1);
    expect(deps.onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('signs out without retrying when the session itself is gone (no new token)', async () => {
    const { authFetch, send, deps } = setup([401]);
    deps.refreshToken.mockResolvedValueOnce(null);
    expect((await authFetch('/api/v1/tasks')).status).toBe(401);
    expect(send).toHaveBeenCalledTimes(1);
    expect(deps.onUnauthorized).toHaveBeenCalledTimes(1);
  });
});

describe('AuthSession (tokens and authFetch against the fake worker)', () => {
  it('gets the token from /api/auth/token with the session cookie and keeps it in memory only', async () => {
    const backend = new FakeBackend().install();
    const session = new AuthSession();
    await session.restore();
    expect(session.getState()).toEqual({
      status: 'signed-in',
      user: { id: 'user-ada', name: 'Ada Lovelace', email: 'ada@example.test' },
    });
    const [tokenCall] = backend.calls('GET', '/api/auth/token');
    expect(backend.fetch.mock.calls[0]?.[1]).toMatchObject({ credentials: 'include' });
    expect(tokenCall).toBeDefined();
    expect(window.localStorage.length).toBe(0);
    expect(window.sessionStorage.length).toBe(0);
  });

  it('refreshes after a 401 and retries with the fresh token', async () => {
    const backend = new FakeBackend().install();
    let taskCalls = 0;
    backend.on('GET', '/api/v1/tasks', () => (++taskCalls === 1 ? contractError('unauthorized') : json([])));
    const session = new AuthSession();
    await session.restore();

    const response = await session.authFetch('/api/v1/tasks');
    expect(response.status).toBe(200);
    const [first, second] = backend.calls('GET', '/api/v1/tasks');
    expect(bearerOf(first)).toBe(backend.issuedTokens[0]);
    expect(bearerOf(second)).toBe(backend.issuedTokens[1]);
    expect(backend.issuedTokens[1]).not.toBe(backend.issuedTokens[0]);
    expect(session.getState().status).toBe('signed-in');
  });

  it('signs the user out (server session too) when the worker keeps answering 401', async () => {
    const backend = new FakeBackend().install();
    backend.on('GET', '/api/v1/tasks', () => contractError('unauthorized'));
    const session = new AuthSession({
      loadClient: async () => ({
        signIn: { email: async () => ({ error: null }) },
        signUp: { email: async () => ({ error: null }) },
        signOut: async () => backend.fetch('/api/auth/sign-out', { method: 'POST' }),
      }),
    });
    await session.restore();

    await session.authFetch('/api/v1/tasks');
    await vi.waitFor(() => expect(backend.calls('POST', '/api/auth/sign-out')).toHaveLength(1));
    expect(session.getState()).toEqual({ status: 'signed-out', notice: SESSION_EXPIRED_NOTICE });
    expect(backend.calls('GET', '/api/v1/tasks')).toHaveLength(2);
  });

  it('refreshes the token about a minute before it expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const tokenResponses = vi.fn(async () => json({ token: makeJwt({}, 15 * 60) }));
    const tokens = new AccessTokenSource({ fetch: tokenResponses });
    await tokens.refresh();
    expect(tokenResponses).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(15 * 60_000 - REFRESH_LEAD_MS - 1_000);
    expect(tokenResponses).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(tokenResponses).toHaveBeenCalledTimes(2);
    tokens.clear();
  });

  it('does not refresh in a loop when the token is shorter-lived than the lead time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const tokenResponses = vi.fn(async () => json({ token: makeJwt({}, 30) }));
    const tokens = new AccessTokenSource({ fetch: tokenResponses });
    await tokens.refresh();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(tokenResponses).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000); // half-life (15 s) has passed
    expect(tokenResponses).toHaveBeenCalledTimes(2);
    tokens.clear();
  });

  it('shares one refresh between concurrent callers', async () => {
    const backend = new FakeBackend().install();
    const session = new AuthSession();
    await Promise.all([session.authFetch('/api/v1/tasks'), session.authFetch('/api/v1/tasks'), session.authFetch('/api/v1/tasks')]);
    expect(backend.calls('GET', '/api/auth/token')).toHaveLength(1);
  });
});

describe('readAccessTokenClaims', () => {
  it('reads exp and a non-ASCII name from the payload without verifying', () => {
    const claims = readAccessTokenClaims(makeJwt({ name: 'Zoë Ørsted 🚀' }));
    expect(claims).toMatchObject({ sub: 'user-ada', name: 'Zoë Ørsted 🚀' });
    expect(claims?.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it.each(['', 'not-a-jwt', 'a.b.c', `x.${btoa('{"sub":"u"}')}.y`])('returns null for %j', (token) => {
    expect(readAccessTokenClaims(token)).toBeNull();
  });
});
