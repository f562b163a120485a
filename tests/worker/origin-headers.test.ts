import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { hostileStats, registeredScenarioUrl, scenarioUrl, type Scenario } from '../fakes/hostile-scenarios';
import { loggedEvents } from './log-lines';
import { uniqueMarker } from './origin-log';
import { callWorker } from './support';
import { resilienceFigure } from './tally';
import { signWithIssuer, trustTestIssuer } from './tokens';

// the two stalled SSE paths
const originFaultsSurvived = resilienceFigure('origin_faults_survived', 2);
// 2 cookies + 2 paths × 2 × the CORS headers + the invented ones + 6 line splits + 8 foreign Locations
const hostileHeadersDropped = resilienceFigure('hostile_origin_headers_dropped', 56);

/** How long to wait for the origin to see its connection closed (a deadline for readiness, not an assertion). */
const ORIGIN_CLOSE_POLL = { timeout: 10_000, interval: 50 };

/**
 * What the browser gets back from the origin through the proxy: response headers pass an
 * allowlist. The origin is tests/fakes/hostile-origin.ts on a bare socket, so each header arrives
 * at workerd exactly as written (bare CR included); the test sees what workerd then hands over.
 */

const hostile = () => inject('hostileOriginUrl');
const WORKER = 'http://worker.test';
let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn');
});
afterEach(() => warn.mockRestore());

async function viaWorker(
  path: string,
  headerLines: string[],
  options: { status?: number; body?: string; init?: RequestInit; env?: Record<string, string> } = {},
) {
  const id = uniqueMarker('hdr');
  const scenario: Scenario = { kind: 'raw', id, status: options.status ?? 200, headerLines, body: options.body ?? '{"ok":true}' };
  const token = await signWithIssuer({ payload: { sub: 'header-user' } });
  const init = options.init ?? {};
  return callWorker(
    `${WORKER}${path}`,
    { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } },
    { ...trustTestIssuer(), ORIGIN_URL: await registeredScenarioUrl(hostile(), scenario), ...options.env },
  );
}

/** Every header of the answer as [name, value] pairs, set-cookie ones separate. */
const allHeaders = (res: Response) =>
  [...res.headers].filter(([name]) => name !== 'set-cookie').concat(res.headers.getSetCookie().map((value) => ['set-cookie', value] as [string, string]));
const droppedLog = () => loggedEvents(warn, 'origin_header_dropped').map((line) => `${line.header}:${line.reason}`);

describe('origin response headers pass an allowlist', () => {
  it('Set-Cookie from /api/v1/* never reaches the browser (session fixation)', async () => {
    const res = await viaWorker('/api/v1/conversations', [
      'content-type: application/json',
      'set-cookie: better-auth.session_token=attacker; Path=/',
      'Set-Cookie: other=1',
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(droppedLog()).toEqual(['set-cookie:not_an_auth_path', 'set-cookie:not_an_auth_path']);
    await hostileHeadersDropped.record(2);
  });

  it('Set-Cookie from /api/auth/* passes, every cookie kept apart', async () => {
    const res = await viaWorker(
      '/api/auth/sign-in/email',
      ['content-type: application/json', 'set-cookie: a=1; Path=/; HttpOnly', 'set-cookie: b=2; Path=/; Secure'],
      { init: { method: 'POST', body: '{}' } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; Secure']);
  });

  it.each(['/api/v1/tasks', '/api/auth/get-session'])(
    "the origin's Access-Control-* headers are dropped on %s; the worker alone answers CORS",
    async (path) => {
      const originCors = [
        'access-control-allow-origin: https://evil.example',
        'access-control-allow-credentials: true',
        'access-control-allow-headers: *',
        'access-control-expose-headers: set-cookie, x-secret',
        'access-control-allow-methods: PUT, DELETE',
        'access-control-max-age: 86400',
      ];
      const fromEvil = await viaWorker(path, ['content-type: application/json', ...originCors], { init: { headers: { origin: 'https://evil.example' } } });
      expect(fromEvil.status).toBe(200);
      expect(allHeaders(fromEvil).filter(([name]) => name.startsWith('access-control-'))).toEqual([]);

      const fromAllowed = await viaWorker(path, ['content-type: application/json', ...originCors], {
        init: { headers: { origin: 'https://app.example.test' } },
      });
      expect(fromAllowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
      expect(fromAllowed.headers.get('access-control-allow-headers')).not.toBe('*');
      expect(fromAllowed.headers.get('access-control-expose-headers') ?? '').not.toMatch(/set-cookie|x-secret/);
      expect(droppedLog().filter((entry) => entry.endsWith(':cors_is_the_workers'))).toHaveLength(originCors.length * 2);
      await hostileHeadersDropped.record(originCors.length * 2);
    },
  );

  const notAllowed = [
    'server: nginx/1.2.3 (internal-db-7)',
    'x-powered-by: Express',
    'x-user-id: someone-else',
    'x-backend-host: 10.0.3.7',
    'x-debug-sql: select * from users',
    'via: 1.1 internal-proxy',
    'refresh: 0; url=https://evil.example/',
    'link: <https://evil.example/x.js>; rel=preload; as=script',
    'content-security-policy: script-src *',
    'clear-site-data: "*"',
    'strict-transport-security: max-age=0',
    'alt-svc: h3=":443"',
    'x-accel-redirect: /internal/secret',
    'www-authenticate: Basic realm="internal"',
    'report-to: {"url":"https://evil.example"}',
    'content-disposition: attachment; filename=evil.html',
  ];
  it(`drops every other header an origin invents (${notAllowed.length} of them), whatever its case`, async () => {
    const lines = notAllowed.map((line, i) => (i % 2 ? line.replace(/^[^:]+/, (name) => name.toUpperCase()) : line));
    const res = await viaWorker('/api/v1/tasks', ['content-type: application/json', ...lines]);
    expect(res.status).toBe(200);
    const names = new Set(allHeaders(res).map(([name]) => name));
    for (const line of notAllowed) {
      const name = line.slice(0, line.indexOf(':'));
      // The worker's own security headers may share a name; the origin's value never shows.
      const value = res.headers.get(name);
      if (value !== null) expect(value.toLowerCase(), name).not.toBe(line.slice(name.length + 2).toLowerCase());
      if (!['content-security-policy', 'strict-transport-security'].includes(name)) expect(names.has(name), name).toBe(false);
    }
    expect(droppedLog()).toHaveLength(notAllowed.length);
    await hostileHeadersDropped.record(notAllowed.length);
  });

  it('passes what a browser needs: type, length, encoding, caching, range, validators, retry-after, vary', async () => {
    const passed = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'private, max-age=60',
      expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
      etag: '"v42"',
      'last-modified': 'Wed, 21 Oct 2025 07:28:00 GMT',
      'retry-after': '7',
      vary: 'Accept-Language',
      'accept-ranges': 'bytes',
      'content-range': 'bytes 0-10/11',
    };
    const res = await viaWorker(
      '/api/v1/tasks',
      Object.entries(passed).map(([name, value]) => `${name}: ${value}`),
      { status: 206, body: '{"ok":true}' },
    );
    expect(res.status).toBe(206);
    for (const [name, value] of Object.entries(passed)) expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('{"ok":true}');
    expect(droppedLog()).toEqual([]);
  });
});

describe('header values that could split a header line', () => {
  // What arrives at the worker when an origin puts a bare CR (or a NUL) inside a header value:
  // either workerd refuses the whole answer (502) or the worker drops that header. Never a
  // browser-visible second header.
  const cases: Array<[string, string[], string]> = [
    ['a bare CR smuggling a Set-Cookie into an allowed header', ['cache-control: no-store\rSet-Cookie: sid=evil'], '/api/v1/tasks'],
    ['a bare CR inside a cookie on /api/v1', ['set-cookie: a=1\rSet-Cookie: sid=evil'], '/api/v1/tasks'],
    ['a bare CR in a Location', ['location: /api/auth/ok\rSet-Cookie: sid=evil'], '/api/v1/tasks'],
    ['a bare LF in a Vary', ['vary: accept\nSet-Cookie: sid=evil'], '/api/v1/tasks'],
    ['a NUL in an ETag', ['etag: "v1\u0000Set-Cookie: sid=evil"'], '/api/v1/tasks'],
    ['a bare CR in an unlisted header', ['x-note: hello\rSet-Cookie: sid=evil'], '/api/v1/tasks'],
  ];
  it.each(cases)('%s', async (_what, lines, path) => {
    const res = await viaWorker(path, ['content-type: application/json', ...lines], { status: lines[0]!.startsWith('location') ? 302 : 200 });
    for (const [name, value] of allHeaders(res)) {
      expect(value, name).not.toMatch(/[\r\n\0]/);
      expect(value, name).not.toContain('sid=evil');
    }
    expect(res.headers.getSetCookie().some((cookie) => cookie.includes('evil'))).toBe(false);
    if (res.status === 502) {
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    } else {
      expect(droppedLog().length).toBeGreaterThanOrEqual(1);
    }
    await hostileHeadersDropped.record();
  });

  it('on /api/auth/* too, a bare CR never lets a smuggled cookie through: workerd refuses the whole answer', async () => {
    // The current workerd's HTTP parser refuses an origin answer with a bare CR in a header line
    // (older builds split the line in two, which made the smuggled cookie a cookie like any other
    // on /api/auth/*). The browser gets the worker's 502 and no cookie. README "Security model".
    const res = await viaWorker('/api/auth/get-session', ['content-type: application/json', 'set-cookie: a=1\rSet-Cookie: sid=evil']);
    expect(res.status).toBe(502);
    expect(res.headers.getSetCookie()).toEqual([]);
    for (const [, value] of allHeaders(res)) expect(value).not.toMatch(/[\r\n\0]/);
  });
});

describe('redirects', () => {
  const location = async (value: string, path = '/api/auth/reset-password/token') => {
    const res = await viaWorker(path, [`location: ${value}`], { status: 302, body: '' });
    expect(res.status).toBe(302);
    return res.headers.get('location');
  };

  it("a Location on the origin becomes the same path on the worker's own origin", async () => {
    const base = new URL(hostile()).origin;
    // `{{base}}` is ORIGIN_URL itself, path prefix included: the prefix never shows either.
    expect(await location('{{base}}/api/auth/reset-password?token=abc#top')).toBe(`${WORKER}/api/auth/reset-password?token=abc#top`);
    expect(await location(`${base}/login`)).toBe(`${WORKER}/login`);
    expect(await location('/dashboard?tab=1')).toBe(`${WORKER}/dashboard?tab=1`);
    expect(await location('callback')).toBe(`${WORKER}/api/auth/reset-password/callback`);
  });

  it('an absolute Location in ALLOWED_ORIGINS passes as it is', async () => {
    expect(await location('https://app.example.test/welcome?x=1')).toBe('https://app.example.test/welcome?x=1');
  });

  it.each([
    'https://evil.example/phish',
    '//evil.example/phish',
    '/\\evil.example/phish',
    'https://app.example.test.evil.example/',
    'http://app.example.test/downgraded',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'https://user@evil.example/',
  ])('any other absolute Location is dropped: %s', async (value) => {
    expect(await location(value)).toBeNull();
    expect(droppedLog()).toEqual(['location:foreign_redirect']);
    await hostileHeadersDropped.record();
  });
});

describe('the SSE pass-through has an idle deadline', () => {
  it('a stream that stalls after its first event ends with an error event, and the origin request is aborted', async () => {
    for (const path of ['/api/v1/chat', '/api/v1/events']) {
      const id = uniqueMarker('stall');
      const token = await signWithIssuer({ payload: { sub: 'sse-user' } });
      const res = await callWorker(
        `${WORKER}${path}`,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, body: '{"message":"hi"}' },
        {
          ...trustTestIssuer(),
          ORIGIN_URL: scenarioUrl(hostile(), { kind: 'sse-stall', id, prelude: 'event: start\ndata: {"conversation_id":1}\n\nevent: delta\ndata: {"te' }),
          ORIGIN_STREAM_IDLE_MS: '300',
        },
      );
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.startsWith('event: start\ndata: {"conversation_id":1}\n\n')).toBe(true);
      expect(text.endsWith('\n\nevent: error\ndata: {"message":"The answer stalled. Please try again."}\n\n')).toBe(true);
      await expect.poll(async () => (await hostileStats(hostile(), id)).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
      expect(loggedEvents(warn, 'origin_stream_idle')).toHaveLength(path === '/api/v1/chat' ? 1 : 2);
      await originFaultsSurvived.record();
    }
  });

  it('a stream that keeps talking is not cut, however long it runs', async () => {
    const token = await signWithIssuer({ payload: { sub: 'sse-user' } });
    const res = await callWorker(
      `${WORKER}/api/v1/__test/sse?n=8&interval_ms=50`,
      { headers: { authorization: `Bearer ${token}` } },
      { ...trustTestIssuer(), ORIGIN_STREAM_IDLE_MS: '5000' },
    );
    const text = await res.text();
    expect(text.match(/event: tick/g)).toHaveLength(8);
    expect(text).not.toContain('event: error');
  });
});
