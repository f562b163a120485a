import * as v from 'valibot';
import { describe, expect, inject, it } from 'vitest';
import { ErrorBodySchema } from '../../shared/errors';
import { signUpAndGetToken } from '../../origin/client';
import { waitFor } from '../helpers/wait';
import { originRequests, originRequestsMatching, uniqueMarker } from './origin-log';
import { callWorker } from './support';
import { resilienceFigure } from './tally';
import { signWithIssuer, trustTestIssuer } from './tokens';

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const authed = async (sub = 'proxy-user') => ({ authorization: `Bearer ${await signWithIssuer({ payload: { sub } })}` });
const call = (path: string, init: RequestInit = {}, env: Record<string, string> = {}) => callWorker(path, init, { ...trustTestIssuer(), ...env });

async function expectContractError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = v.parse(ErrorBodySchema, await res.json());
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack frames
  return body;
}

/** Identity headers a browser may forge; none may reach the origin. */
const FORGED_IDENTITY_HEADERS = [
  'x-user-email',
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-user',
  'x-real-ip',
  'x-remote-user',
  'cookie',
  'proxy-authorization',
];

describe('what the origin receives on /api/v1/*', () => {
  const smugglingBlocked = resilienceFigure('smuggling_blocked', 1);
  const identityLeaks = resilienceFigure('identity_leaks', 1);

  it('gets X-User-Id from the token only; identity headers the browser sent are dropped', async () => {
    const marker = uniqueMarker('identity');
    const res = await call(`/api/v1/__test/echo?x=1&m=${marker}`, {
      headers: {
        ...(await authed('the-real-user')),
        'x-user-id': 'victim',
        'X-User-Email': 'victim@example.test',
        forwarded: 'for=1.2.3.4;host=evil',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-user': 'victim',
        'x-real-ip': '6.6.6.6',
        'x-remote-user': 'victim',
        cookie: 'session=stolen',
        'proxy-authorization': 'Basic eDp5',
        'x-request-id': 'client-chosen-id-123',
      },
    });
    // What the origin's own recorder saw, not only what the echo says.
    const atOrigin = await originRequestsMatching(marker);
    const leaks = atOrigin.filter(
      (record) => record.headers['x-user-id'] !== 'the-real-user' || FORGED_IDENTITY_HEADERS.some((name) => name in record.headers),
    );
    await identityLeaks.record(leaks.length);
    expect(atOrigin).toHaveLength(1);
    expect(leaks).toEqual([]);
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-user-id']).toBe('the-real-user');
    for (const name of FORGED_IDENTITY_HEADERS) expect(echo.headers[name], name).toBeUndefined();
    expect(echo.headers['x-request-id']).toBe('client-chosen-id-123');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers.authorization).toMatch(/^Bearer /);
    expect(echo.path).toBe(`/api/v1/__test/echo?x=1&m=${marker}`);
    expect(res.headers.get('x-request-id')).toBe('client-chosen-id-123');
    await smugglingBlocked.record();
  });

  it('replaces a malformed X-Request-Id with a fresh one and forwards that', async () => {
    const res = await call('/api/v1/__test/echo', { headers: { ...(await authed()), 'x-request-id': 'bad id\twith spaces' } });
    const echo = (await res.json()) as Echo;
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(echo.headers['x-request-id']).toBe(id);
  });

  it('keeps an X-Request-Id of up to 128 characters and replaces a longer one', async () => {
    const longest = 'a'.repeat(128);
    const kept = await call('/api/v1/__test/echo', { headers: { ...(await authed()), 'x-request-id': longest } });
    await kept.body?.cancel();
    expect(kept.headers.get('x-request-id')).toBe(longest);
    const replaced = await call('/api/v1/__test/echo', { headers: { ...(await authed()), 'x-request-id': `${longest}a` } });
    await replaced.body?.cancel();
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('drops hop-by-hop headers both ways', async () => {
    const res = await call('/api/v1/__test/echo', {
      headers: { ...(await authed()), te: 'trailers', 'x-hop': 'secret', connection: 'x-hop', 'keep-alive': 'timeout=99', upgrade: 'websocket' },
    });
    const echo = (await res.json()) as Echo;
    for (const name of ['te', 'x-hop', 'keep-alive', 'upgrade']) expect(echo.headers[name], name).toBeUndefined();
    // Node's HTTP server adds Connection/Keep-Alive to every response; none reach the browser.
    expect(res.headers.get('keep-alive')).toBeNull();
    expect(res.headers.get('connection')).toBeNull();
  });

  it('streams the request body to the origin', async () => {
    const body = 'x'.repeat(200_000);
    const res = await call('/api/v1/__test/upload', { method: 'POST', headers: await authed(), body });
    expect(await res.json()).toEqual({ bytes: 200_000 });
  });
});

describe('path normalisation', () => {
  const escapes = [
    '/api/v1/%2e%2e/__test/echo',
    '/api/v1/%2E%2E/%2E%2E/api/__test/echo',
    '/api/v1/..%2f__test/echo',
    '/api/v1/__test/..%2F..%2Fecho',
    '/api/v1/%252e%252e/__test/echo',
    '/api/v1/%25252e%25252e/__test/echo',
    '/api/v1/__test%2fecho',
    '/api/v1/__test%5cecho',
    '/api/v1/..%5c__test/echo',
    '/api/v1//__test/echo',
    '/api/v1/__test//echo',
    '/api/v1/%ef%bc%8e%ef%bc%8e/__test/echo',
    '/api/v1/\uff0e\uff0e/__test/echo',
    '/api/v1/%e2%80%a4%e2%80%a4/__test/echo',
    '/api/v1/%00/__test/echo',
    '/api/v1/%zz/__test/echo',
    '/api/v1/../../api/__test/echo',
    '/api/v1/..;/__test/echo',
    '/api/v1/%2e%2e;jsessionid=1/__test/echo',
  ];
  const escapesBlocked = resilienceFigure('smuggling_blocked', escapes.length);
  it.each(escapes)('%s is refused and never reaches the origin', async (path) => {
    const marker = uniqueMarker('path');
    const res = await call(`${path}?m=${marker}`, { headers: await authed() });
    expect([400, 404]).toContain(res.status);
    const body = v.parse(ErrorBodySchema, await res.json());
    expect(['bad_request', 'not_found']).toContain(body.error.code);
    expect(await originRequestsMatching(marker)).toEqual([]);
    await escapesBlocked.record();
  });

  it('still forwards ordinary paths, trailing slash and encoded characters in a segment', async () => {
    const res = await call('/api/v1/__test/echo/?q=a%20b', { headers: await authed() });
    // The echo route answers for its exact path only; the point is the origin saw it as sent.
    expect([200, 404]).toContain(res.status);
    const seen = await originRequests();
    expect(seen.some((r) => r.path === '/api/v1/__test/echo/?q=a%20b')).toBe(true);
  });
});

describe('streaming and origin failures', () => {
  const faultsSurvived = resilienceFigure('faults_survived', 4);

  it('passes SSE chunks through before the origin finishes its stream', async () => {
    // The origin's second event is ten minutes away: the first can only arrive if nothing waits for the rest.
    const res = await call('/api/v1/__test/sse?n=2&interval_ms=600000', { headers: { ...(await authed()), accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-transform');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"i":0')) text += (await reader.read()).value ?? '';
    expect(text).not.toContain('"i":1');
    await reader.cancel();
  });

  it('passes a whole SSE stream through to its end', async () => {
    const res = await call('/api/v1/__test/sse?n=4&interval_ms=20', { headers: { ...(await authed()), accept: 'text/event-stream' } });
    const text = await res.text();
    expect([0, 1, 2, 3].map((i) => text.includes(`"i":${i}`))).toEqual([true, true, true, true]);
  });

  it('cancels the origin request when the browser aborts an SSE stream', async () => {
    const marker = uniqueMarker('abort');
    const res = await call(`/api/v1/__test/sse?n=50&interval_ms=100&m=${marker}`, { headers: await authed() });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const [record] = await waitFor(
      async () => {
        const seen = await originRequestsMatching(marker);
        return seen[0]?.aborted ? seen : null;
      },
      { timeoutMs: 5_000 },
    );
    expect(record!.aborted).toBe(true);
    await faultsSurvived.record();
  });

  it('origin down → 502 upstream_error', async () => {
    const res = await call('/api/v1/tasks', { headers: await authed() }, { ORIGIN_URL: 'http://127.0.0.1:9' });
    await expectContractError(res, 502, 'upstream_error');
    await faultsSurvived.record();
  });

  it('origin hanging → 504 upstream_timeout after ORIGIN_TIMEOUT_MS, and the origin sees the request dropped', async () => {
    const marker = uniqueMarker('hang');
    const res = await call(`/api/v1/__test/hang?m=${marker}`, { headers: await authed() }, { ORIGIN_TIMEOUT_MS: '300' });
    const body = await expectContractError(res, 504, 'upstream_timeout');
    expect(body.error.message).toContain('300 ms');
    await waitFor(async () => (await originRequestsMatching(marker))[0]?.aborted || null, { timeoutMs: 5_000 });
    await faultsSurvived.record();
  });

  it('origin 500 → 502 upstream_error without the origin body', async () => {
    const res = await call('/api/v1/__test/status/500', { headers: await authed() });
    const body = await expectContractError(res, 502, 'upstream_error');
    expect(JSON.stringify(body)).not.toContain('on purpose');
    await faultsSurvived.record();
  });

  it('origin 4xx answers pass through unchanged', async () => {
    const res = await call('/api/v1/__test/status/404', { headers: await authed() });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('origin_status');
  });

  it('origin garbage with a 200 is passed through as the origin sent it', async () => {
    const res = await call('/api/v1/__test/garbage', { headers: await authed() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('not JSON');
  });
});

describe('request limits and errors', () => {
  it('refuses a declared body over MAX_BODY_BYTES with 413 before the origin sees it', async () => {
    const marker = uniqueMarker('big');
    const res = await call(
      `/api/v1/__test/upload?m=${marker}`,
      { method: 'POST', headers: await authed(), body: 'x'.repeat(2_000) },
      { MAX_BODY_BYTES: '1000' },
    );
    await expectContractError(res, 413, 'payload_too_large');
    expect(await originRequestsMatching(marker)).toEqual([]);
  });

  it('refuses a streamed body without a length once it passes the limit', async () => {
    const marker = uniqueMarker('bigstream');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i += 1) controller.enqueue(new Uint8Array(500));
        controller.close();
      },
    });
    const res = await call(`/api/v1/__test/upload?m=${marker}`, { method: 'POST', headers: await authed(), body: stream }, { MAX_BODY_BYTES: '1000' });
    await expectContractError(res, 413, 'payload_too_large');
    expect(await originRequestsMatching(marker)).toEqual([]);
  });

  it('answers unknown API routes with a JSON 404', async () => {
    await expectContractError(await call('/api/nope'), 404, 'not_found');
  });

  it('a misconfigured worker says which variable is wrong, as JSON', async () => {
    const res = await call('/api/v1/tasks', {}, { ORIGIN_URL: 'not a url' });
    const body = await expectContractError(res, 500, 'internal');
    expect(body.error.message).toContain('ORIGIN_URL');
  });
});

describe('/api/auth/* proxy', () => {
  it('forwards the session cookie to Better Auth and needs no Bearer token', async () => {
    const user = await signUpAndGetToken(inject('originUrl'));
    const res = await callWorker('/api/auth/get-session', { headers: { cookie: user.cookie } });
    expect(res.status).toBe(200);
    const session = (await res.json()) as { user?: { id?: string } };
    expect(session.user?.id).toBe(user.userId);
  });
});
