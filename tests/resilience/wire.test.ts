import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpAndGetToken, type SignedUpUser } from '../../origin/client';
import { waitFor } from '../helpers/wait';
import { resilienceFigure } from '../worker/tally';
import { rawExchange, type RawExchange, type RawOptions } from './support/raw-http';
import { startResilienceStack, subOf, type ResilienceStack } from './support/stack';
import type { WireRecord } from './support/wired-origin';

/**
 * Request smuggling and identity spoofing on the wire: raw bytes over TCP into `wrangler dev`
 * (workerd's own HTTP/1.1 parser, nothing in between to tidy a request up), the worker, and the
 * reference origin, whose socket-level log (control paths included) is the evidence.
 *
 * Every case asserts what the client sees (whoever answers: workerd's parser, wrangler's proxy,
 * the worker, or the origin) and that the origin received exactly the expected requests. After
 * every case, everything the origin received must pass {@link expectNoLeaks}: only `/api/v1/` and
 * `/api/auth/` paths, never `/__origin`, `X-User-Id` only ever the `sub` of the verified token that
 * came with it, and none of the identity or forwarding headers the attacker wrote ("canary").
 */

const EXTRA_ORIGIN = 'https://app.example.test';
let stack: ResilienceStack;
let alice: SignedUpUser;
let bob: SignedUpUser;

beforeAll(async () => {
  stack = await startResilienceStack((port) => ({
    ALLOWED_ORIGINS: `http://127.0.0.1:${port},http://localhost:${port},${EXTRA_ORIGIN}`,
  }));
  [alice, bob] = await Promise.all([
    signUpAndGetToken(stack.workerUrl, { origin: stack.workerUrl, name: 'Alice' }),
    signUpAndGetToken(stack.workerUrl, { origin: stack.workerUrl, name: 'Bob' }),
  ]);
}, 180_000);

afterAll(async () => {
  await stack?.stopAndClean();
});

/** Headers a browser (or attacker) may send that must never reach the origin, in any spelling. */
const NEVER_AT_ORIGIN = [
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-user',
  'x-forwarded-email',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'x-user-email',
  'x-remote-user',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'proxy-authorization',
  'upgrade',
  'http2-settings',
  'sec-websocket-key',
  'te',
  'x-big',
  'x-note',
];

/**
 * The origin's view since the case started, as evidence. The cut-short upload is left out: it may
 * arrive after its own case is over (see that case); the whole-file checks cover it.
 */
function receivedSince(start: number): WireRecord[] {
  return stack.origin.wire.slice(start).filter((record) => record.path !== SHORT_BODY_PATH);
}

/**
 * Every way `records` (what the origin received) carry an identity or forwarding claim the worker
 * did not make: an `X-User-Id` that is not the `sub` of a known user's token that came with it,
 * anything the attacker wrote ("canary"), a header from {@link NEVER_AT_ORIGIN}, a cookie on
 * `/api/v1/`, or an `X-Forwarded-For` other than the client's address. One entry per problem.
 */
function identityLeaks(records: WireRecord[], { clientIp = '127.0.0.1' } = {}): string[] {
  const users = new Set([alice.userId, bob.userId]);
  const leaks: string[] = [];
  for (const record of records) {
    const where = `${record.method} ${record.path.slice(0, 120)}`;
    if (JSON.stringify(record.headers).toLowerCase().includes('canary')) leaks.push(`${where}: an attacker's header value`);
    for (const name of NEVER_AT_ORIGIN) if (record.headers[name] !== undefined) leaks.push(`${where}: ${name}`);
    if (record.path.startsWith('/api/v1/')) {
      const sub = subOf(record.headers.authorization);
      if (sub === null || !users.has(sub)) leaks.push(`${where}: not a known user's token`);
      if (record.headers['x-user-id'] !== sub) leaks.push(`${where}: X-User-Id ${record.headers['x-user-id']} is not the token's sub`);
      if (record.headers.cookie !== undefined) leaks.push(`${where}: cookie`);
    } else if (record.headers['x-user-id'] !== undefined) {
      leaks.push(`${where}: X-User-Id outside /api/v1/`);
    }
    // The worker's own JWKS fetch is the one request it does not forward for a client.
    if (record.path !== JWKS_PATH && record.headers['x-forwarded-for'] !== clientIp) {
      leaks.push(`${where}: X-Forwarded-For ${record.headers['x-forwarded-for']}, expected ${clientIp}`);
    }
  }
  return leaks;
}

/** Only `/api/v1/` and `/api/auth/` paths with the origin's own Host, and no identity leak. */
function expectNoLeaks(records: WireRecord[], options: { clientIp?: string } = {}): void {
  for (const record of records) {
    const where = `${record.method} ${record.path.slice(0, 120)}`;
    expect(record.path, where).toMatch(/^\/api\/(v1|auth)\//);
    expect(record.path.toLowerCase(), where).not.toContain('__origin');
    expect(record.headers.host, where).toBe(`127.0.0.1:${stack.origin.port}`);
  }
  expect(identityLeaks(records, options)).toEqual([]);
}

/** Measures the identity leaks in `records` for the summary line, then asserts there are none. */
async function expectNoLeaksMeasured(records: WireRecord[], options: { clientIp?: string } = {}): Promise<void> {
  await identityLeaksFigure.record(identityLeaks(records, options).length);
  expectNoLeaks(records, options);
}

interface WireCase {
  name: string;
  request: () => string | Buffer;
  options?: RawOptions;
  /** What the client sees, response by response. */
  statuses: number[];
  /** JSON error code of the first response, when the worker answered. */
  code?: string;
  /** Paths (and queries) the origin must have received, in order; `[]` = nothing at all. */
  reaches: string[];
  /** Extra checks on the exchange. */
  also?: (exchange: RawExchange, records: WireRecord[]) => void | Promise<void>;
}

/** The one request that may reach the origin late, after its case is over: left out of later cases' windows. */
const SHORT_BODY_PATH = '/api/v1/__test/upload?m=short-body';
const JWKS_PATH = '/api/auth/jwks';
const host = () => `Host: 127.0.0.1:${stack.port}\r\n`;
const asAlice = () => `Authorization: Bearer ${alice.token}\r\n`;
const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\n${host()}${asAlice()}${extra}\r\n`;
/** A second request hidden in the first one's body, claiming to be someone else. */
const smuggled = (marker: string) => `GET /api/v1/__test/echo/${marker}-smuggled HTTP/1.1\r\n${host()}X-User-Id: canary-victim\r\n\r\n`;
const echoed = (exchange: RawExchange) => JSON.parse(exchange.responses[0]!.body) as { path: string; headers: Record<string, string> };
const SPA_HTML = /<!doctype html>/i;

const cases: WireCase[] = [
  // --- header injection -------------------------------------------------------------------------
  {
    name: 'bare CR inside a header value, hiding an X-User-Id line',
    request: () => get('/api/v1/__test/echo/bare-cr', 'X-Note: a\rX-User-Id: canary-victim\r\n'),
    // workerd's parser refuses it ("invalid HTTP header"); workerd 1.2026-04 let it through harmlessly.
    statuses: [400],
    reaches: [],
  },
  {
    name: 'bare LF line endings throughout, with an X-User-Id line',
    request: () => `GET /api/v1/__test/echo/bare-lf HTTP/1.1\n${host().trim()}\n${asAlice().trim()}\nX-User-Id: canary-victim\n\n`,
    statuses: [200],
    reaches: ['/api/v1/__test/echo/bare-lf'],
  },
  {
    name: 'obsolete line folding continuing a header into "X-User-Id: …"',
    request: () => get('/api/v1/__test/echo/obs-fold', 'X-Note: a\r\n X-User-Id: canary-victim\r\n'),
    statuses: [400],
    reaches: [],
  },
  {
    name: 'NUL byte in a header value',
    request: () => get('/api/v1/__test/echo/nul', 'X-Note: a\u0000canary\r\n'),
    statuses: [400],
    reaches: [],
  },
  {
    name: 'CRLF percent-encoded into the path ("%0d%0aX-User-Id: …")',
    request: () => get('/api/v1/__test/echo/crlf%0d%0aX-User-Id:%20canary-victim'),
    statuses: [400],
    code: 'bad_request',
    reaches: [],
  },
  {
    name: 'X-User-Id sent twice beside a valid token',
    request: () => get('/api/v1/__test/echo/dup-uid', 'X-User-Id: canary-victim\r\nx-user-id: canary-victim-2\r\n'),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/dup-uid'],
    also: (exchange) => expect(echoed(exchange).headers['x-user-id']).toBe(alice.userId),
  },
  // --- duplicate Authorization --------------------------------------------------------------------
  {
    name: 'two Authorization headers: a valid token and junk',
    request: () => get('/api/v1/__test/echo/dup-auth', 'Authorization: Bearer canary.junk.token\r\n'),
    statuses: [401],
    code: 'unauthorized',
    reaches: [],
  },
  {
    name: "two Authorization headers: two users' valid tokens (no first- or last-one-wins)",
    request: () => get('/api/v1/__test/echo/two-users', `authorization: Bearer ${bob.token}\r\n`),
    statuses: [401],
    code: 'unauthorized',
    reaches: [],
  },
  {
    name: '64 KB Authorization header',
    request: () => `GET /api/v1/__test/echo/huge-auth HTTP/1.1\r\n${host()}Authorization: Bearer ${'a'.repeat(65_536)}\r\n\r\n`,
    statuses: [401],
    code: 'unauthorized',
    reaches: [],
  },
  // --- Transfer-Encoding / Content-Length disagreements --------------------------------------------
  {
    name: 'TE + CL: chunked body ends early, the rest is a smuggled request as someone else',
    request: () =>
      `POST /api/v1/__test/echo/te-cl HTTP/1.1\r\n${host()}${asAlice()}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled('te-cl')}`,
    options: { responses: 2 },
    // Read as chunked; with both headers present workerd then closes the connection, so the
    // leftover bytes are never parsed as a request at all.
    statuses: [200],
    reaches: ['/api/v1/__test/echo/te-cl'],
    also: (exchange) => expect(exchange.closed, 'the connection is closed after the answer').toBe(true),
  },
  {
    name: 'CL + TE: a Content-Length covering the smuggled request',
    request: () => {
      const body = `0\r\n\r\n${smuggled('cl-te')}`;
      return `POST /api/v1/__test/echo/cl-te HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    },
    options: { responses: 2 },
    statuses: [200],
    reaches: ['/api/v1/__test/echo/cl-te'],
    also: (exchange) => expect(exchange.closed, 'the connection is closed after the answer').toBe(true),
  },
  {
    name: 'Transfer-Encoding: chunked, identity',
    request: () => `POST /api/v1/__test/echo/te-list HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    // workerd's parser: "invalid transfer-encoding" (workerd 1.2026-04 answered 500).
    statuses: [400],
    reaches: [],
  },
  {
    name: 'Transfer-Encoding: identity with a Content-Length',
    request: () => `POST /api/v1/__test/echo/te-identity HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello`,
    statuses: [400],
    reaches: [],
  },
  {
    name: 'Transfer-Encoding: xchunked',
    request: () => `POST /api/v1/__test/echo/te-x HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello`,
    statuses: [400],
    reaches: [],
  },
  {
    name: 'obfuscated "Transfer-Encoding : chunked" (space before the colon) + CL, smuggling',
    request: () =>
      `POST /api/v1/__test/echo/te-space HTTP/1.1\r\n${host()}${asAlice()}Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled('te-space')}`,
    options: { responses: 2 },
    // A space before the colon is an invalid header line to workerd's parser.
    statuses: [400],
    reaches: [],
  },
  {
    name: 'obfuscated "Transfer-Encoding:<TAB>chunked" + CL, smuggling',
    request: () =>
      `POST /api/v1/__test/echo/te-tab HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${smuggled('te-tab')}`,
    options: { responses: 2 },
    statuses: [200],
    reaches: ['/api/v1/__test/echo/te-tab'],
    also: (exchange) => expect(exchange.closed, 'the connection is closed after the answer').toBe(true),
  },
  {
    name: 'two different Content-Length headers',
    request: () => `POST /api/v1/__test/echo/two-cl HTTP/1.1\r\n${host()}${asAlice()}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
    // workerd's parser: "invalid content-length" (workerd 1.2026-04 answered 500).
    statuses: [400],
    reaches: [],
  },
  {
    name: 'a Content-Length longer than the body, then end of input',
    request: () => `POST ${SHORT_BODY_PATH} HTTP/1.1\r\n${host()}${asAlice()}Content-Length: 100\r\n\r\nshort`,
    options: { endAfterWrite: true },
    // wrangler dev's entry worker answers 500 ("Network connection lost") when the body breaks off
    // (wrangler 4.86's proxy said 503).
    statuses: [500],
    reaches: [],
    // The body streams, so the origin may get the request (even after the client has its 503):
    // then it must see it cut off, never a complete upload (checked at the end of the file).
  },
  {
    name: 'pipelined: an authenticated request, then GET /__origin/requests on the same connection',
    request: () => `${get('/api/v1/__test/echo/pipelined')}GET /__origin/requests HTTP/1.1\r\n${host()}\r\n`,
    options: { responses: 2 },
    // The second request is the SPA's business (index.html), never the origin's.
    statuses: [200, 200],
    reaches: ['/api/v1/__test/echo/pipelined'],
    also: (exchange) => expect(exchange.responses[1]!.body).toMatch(SPA_HTML),
  },
  // --- path traversal on the wire -------------------------------------------------------------------
  ...(
    [
      // Resolved by the URL parser to /api/__origin/…: an unknown API route.
      ['/api/v1/../__origin/requests', 404, 'not_found'],
      ['/api/v1/%2e%2e/__origin/requests', 404, 'not_found'],
      ['/api/v1/%2E%2e/__origin/reset', 404, 'not_found'],
      ['/api/v1/..\\__origin\\requests', 404, 'not_found'],
      ['/api/v1/.%2e/__origin/requests', 404, 'not_found'],
      // Refused by the worker: they would climb out at an origin that decodes once more.
      ['/api/v1/..%2f__origin/requests', 400, 'bad_request'],
      ['/api/v1/..%2F..%2F__origin%2Frequests', 400, 'bad_request'],
      ['/api/v1/__test%2f..%2f..%2f__origin%2frequests', 400, 'bad_request'],
      ['/api/v1/%252e%252e/%252e%252e/__origin/requests', 400, 'bad_request'],
      ['/api/v1/%25252e%25252e/__origin/requests', 400, 'bad_request'],
      ['/api/v1/..%5c..%5c__origin/requests', 400, 'bad_request'],
      ['/api/v1/..%255c__origin/requests', 400, 'bad_request'],
      ['/api/v1//__origin/requests', 400, 'bad_request'],
      ['/api/v1/__test//echo', 400, 'bad_request'],
      ['/api/v1/%ef%bc%8e%ef%bc%8e/__origin/requests', 400, 'bad_request'],
      ['/api/v1/%e2%80%a4%e2%80%a4/__origin/requests', 400, 'bad_request'],
      ['/api/v1/%c0%ae%c0%ae/__origin/requests', 400, 'bad_request'],
      ['/api/v1/..;/__origin/requests', 400, 'bad_request'],
      ['/api/v1/%2e%2e;jsessionid=1/__origin/requests', 400, 'bad_request'],
      ['/api/auth/..%2f..%2f__origin/requests', 400, 'bad_request'],
    ] as const
  ).map(([target, status, code]): WireCase => ({ name: `GET ${target}`, request: () => get(target), statuses: [status], code, reaches: [] })),
  {
    name: 'GET /api/v1/<fullwidth dots as raw UTF-8>/__origin/requests',
    request: () =>
      Buffer.concat([
        Buffer.from('GET /api/v1/'),
        Buffer.from('\uff0e\uff0e', 'utf8'),
        Buffer.from(`/__origin/requests HTTP/1.1\r\n${host()}${asAlice()}\r\n`),
      ]),
    statuses: [400],
    code: 'bad_request',
    reaches: [],
  },
  {
    name: 'GET /api/v1/../../__origin/requests (resolves to a non-API path: the SPA answers)',
    request: () => get('/api/v1/../../__origin/requests'),
    statuses: [200],
    reaches: [],
    also: (exchange) => expect(exchange.responses[0]!.body).toMatch(SPA_HTML),
  },
  {
    name: 'GET /api/auth/../../__origin/requests (same, through the auth prefix)',
    request: () => `GET /api/auth/../../__origin/requests HTTP/1.1\r\n${host()}\r\n`,
    statuses: [200],
    reaches: [],
    also: (exchange) => expect(exchange.responses[0]!.body).toMatch(SPA_HTML),
  },
  {
    name: 'GET //api/v1/tasks (leading double slash): a same-site redirect, not a proxy',
    request: () => get('//api/v1/tasks'),
    statuses: [307],
    reaches: [],
    also: (exchange) => expect(exchange.responses[0]!.headers.location).toBe('/api/v1/tasks'),
  },
  {
    name: 'GET //evil.example/api/v1/tasks: the redirect stays on this site (no open redirect)',
    request: () => get('//evil.example/api/v1/tasks'),
    statuses: [307],
    reaches: [],
    also: (exchange) => expect(exchange.responses[0]!.headers.location).toMatch(/^\/[^/\\]/),
  },
  // --- request targets and Host ------------------------------------------------------------------------
  {
    name: 'absolute-form target: GET http://evil.example/api/v1/__test/echo',
    request: () => get('http://evil.example/api/v1/__test/echo/absolute'),
    // workerd accepts the absolute form (RFC 9112 says servers must) and the worker routes by its
    // path alone: the origin gets its own Host and the token's user, never evil.example.
    statuses: [200],
    reaches: ['/api/v1/__test/echo/absolute'],
  },
  {
    name: "absolute-form target at the origin's own address: GET http://127.0.0.1:<origin>/__origin/requests",
    request: () => get(`http://127.0.0.1:${stack.origin.port}/__origin/requests`),
    // Routed by the path, not the authority: a non-API path, so the SPA answers.
    statuses: [200],
    reaches: [],
    also: (exchange) => expect(exchange.responses[0]!.body).toMatch(SPA_HTML),
  },
  {
    name: 'TRACE is not forwarded (405 from the worker, origin never asked)',
    request: () => `TRACE /api/v1/__test/echo/trace HTTP/1.1\r\n${host()}${asAlice()}\r\n`,
    statuses: [405],
    code: 'method_not_allowed',
    reaches: [],
  },
  {
    name: 'TRACK is not forwarded (workerd itself answers 501)',
    request: () => `TRACK /api/v1/__test/echo/track HTTP/1.1\r\n${host()}${asAlice()}\r\n`,
    statuses: [501],
    reaches: [],
  },
  {
    name: 'asterisk-form target: OPTIONS *',
    request: () => `OPTIONS * HTTP/1.1\r\n${host()}\r\n`,
    statuses: [500],
    reaches: [],
  },
  {
    name: "CONNECT to the origin's address",
    request: () => `CONNECT 127.0.0.1:${stack.origin.port} HTTP/1.1\r\n${host()}${asAlice()}\r\n`,
    statuses: [500],
    reaches: [],
  },
  {
    name: 'Host: evil.example (the origin still gets its own Host)',
    request: () => `GET /api/v1/__test/echo/host-evil HTTP/1.1\r\nHost: evil.example\r\n${asAlice()}\r\n`,
    statuses: [200],
    reaches: ['/api/v1/__test/echo/host-evil'],
  },
  {
    name: "Host: the origin's own address",
    request: () => `GET /api/v1/__test/echo/host-origin HTTP/1.1\r\nHost: 127.0.0.1:${stack.origin.port}\r\n${asAlice()}\r\n`,
    statuses: [200],
    reaches: ['/api/v1/__test/echo/host-origin'],
  },
  {
    name: 'Host with userinfo: 127.0.0.1:<port>@evil.example',
    request: () => `GET /api/v1/__test/echo/host-at HTTP/1.1\r\nHost: 127.0.0.1:${stack.port}@evil.example\r\n${asAlice()}\r\n`,
    // Accepted by workerd (1.2026-04 answered 500); the origin still gets its own Host.
    statuses: [200],
    reaches: ['/api/v1/__test/echo/host-at'],
  },
  {
    name: 'two Host headers',
    request: () => `GET /api/v1/__test/echo/two-hosts HTTP/1.1\r\n${host()}Host: evil.example\r\n${asAlice()}\r\n`,
    statuses: [500],
    reaches: [],
  },
  {
    name: 'HTTP/1.1 without Host',
    request: () => `GET /api/v1/__test/echo/no-host HTTP/1.1\r\n${asAlice()}\r\n`,
    statuses: [400],
    reaches: [],
  },
  // --- identity and forwarding overrides ---------------------------------------------------------------
  {
    name: 'X-User-Id, X-Forwarded-*, Forwarded, X-Real-IP, True-Client-IP and friends, all forged',
    request: () =>
      get(
        '/api/v1/__test/echo/forged-identity',
        [
          'X-User-Id: canary-victim',
          'X-Forwarded-For: 198.51.100.7, canary',
          'X-Forwarded-Host: canary.evil.example',
          'X-Forwarded-Proto: canary-https',
          'X-Forwarded-Port: 443',
          'X-Forwarded-User: canary',
          'X-Forwarded-Email: canary@evil.example',
          'Forwarded: for=198.51.100.7;host=canary.evil.example;proto=https',
          'X-Real-IP: 198.51.100.8',
          'True-Client-IP: 198.51.100.9',
          'X-Client-IP: 198.51.100.10',
          'X-User-Email: canary@evil.example',
          'X-Remote-User: canary',
          'X-Original-URL: /__origin/reset',
          'X-Rewrite-URL: /__origin/reset',
          'X-HTTP-Method-Override: DELETE',
          'Proxy-Authorization: Basic Y2FuYXJ5OmNhbmFyeQ==',
          'Cookie: session=canary',
          '',
        ].join('\r\n'),
      ),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/forged-identity'],
    also: (exchange) => {
      const seen = echoed(exchange).headers;
      expect(seen['x-user-id']).toBe(alice.userId);
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    },
  },
  {
    name: 'Upgrade: websocket on a proxied route (forwarded as a plain request)',
    request: () =>
      get(
        '/api/v1/__test/echo/ws',
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
      ),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/ws'],
  },
  {
    name: 'Upgrade: h2c with HTTP2-Settings',
    request: () => get('/api/v1/__test/echo/h2c', 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n'),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/h2c'],
  },
  // --- oversize headers and bodies ---------------------------------------------------------------------
  {
    name: '64 KB header the worker does not forward',
    request: () => get('/api/v1/__test/echo/big-header', `X-Big: ${'a'.repeat(65_536)}\r\n`),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/big-header'],
  },
  {
    name: "64 KB header the worker forwards (User-Agent): the origin's parser refuses it, 431 passes back",
    request: () => get('/api/v1/__test/echo/big-ua', `User-Agent: ${'a'.repeat(65_536)}\r\n`),
    // The origin answers 431 and closes while workerd is still writing the request, so workerd
    // passes the 431 head back and then cuts the (empty) body off: no complete response.
    statuses: [],
    reaches: [],
    also: (exchange) => expect(exchange.cutOff?.status).toBe(431),
  },
  {
    name: '1 MB header',
    request: () => get('/api/v1/__test/echo/huge-header', `X-Big: ${'a'.repeat(1_048_576)}\r\n`),
    statuses: [431],
    reaches: [],
  },
  {
    name: '2,000 headers',
    request: () => get('/api/v1/__test/echo/many-headers', Array.from({ length: 2_000 }, (_, i) => `X-Note-${i}: v\r\n`).join('')),
    statuses: [200],
    reaches: ['/api/v1/__test/echo/many-headers'],
  },
  {
    name: '2 MB body with Content-Length (limit 1 MB)',
    request: () => `POST /api/v1/__test/upload?m=big-cl HTTP/1.1\r\n${host()}${asAlice()}Content-Length: 2000000\r\n\r\n${'x'.repeat(2_000_000)}`,
    statuses: [413],
    code: 'payload_too_large',
    reaches: [],
  },
];

// Every wire case, the CF-Connecting-IP case and the oversize chunked body at the end.
const smugglingBlocked = resilienceFigure('smuggling_blocked', cases.length + 2);
/** Measured in what the origin received during each of those cases. */
const identityLeaksFigure = resilienceFigure('identity_leaks', cases.length + 2);

describe('smuggling and spoofing on the wire (raw TCP → wrangler dev → origin)', () => {
  it.each(cases.map((wireCase) => [wireCase.name, wireCase] as const))('%s', async (_name, wireCase) => {
    const start = stack.origin.wire.length;
    const exchange = await rawExchange(stack.port, wireCase.request(), { deadlineMs: 15_000, ...wireCase.options });
    expect(
      exchange.responses.map((response) => response.status),
      `responses (closed: ${exchange.closed}, gave up: ${exchange.gaveUp})`,
    ).toEqual(wireCase.statuses);
    if (wireCase.code) expect((JSON.parse(exchange.responses[0]!.body) as { error: { code: string } }).error.code).toBe(wireCase.code);
    const records = receivedSince(start).filter((record) => record.path !== JWKS_PATH);
    await expectNoLeaksMeasured(receivedSince(start));
    expect(records.map((record) => record.path)).toEqual(wireCase.reaches);
    await wireCase.also?.(exchange, records);
    await smugglingBlocked.record();
  });

  it("CF-Connecting-IP is the only source of X-Forwarded-For; wrangler dev keeps a client's own (Cloudflare's edge overwrites it)", async () => {
    const start = stack.origin.wire.length;
    const exchange = await rawExchange(
      stack.port,
      get(
        '/api/v1/__test/echo/cf-ip',
        'CF-Connecting-IP: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.7\r\nX-Real-IP: 198.51.100.8\r\nTrue-Client-IP: 198.51.100.9\r\n',
      ),
    );
    expect(exchange.responses.map((response) => response.status)).toEqual([200]);
    const records = receivedSince(start);
    expect(records.map((record) => record.path)).toEqual(['/api/v1/__test/echo/cf-ip']);
    // One address, from CF-Connecting-IP only, never the browser's X-Forwarded-For/X-Real-IP/True-Client-IP.
    // Locally that header is the client's to choose (miniflare only fills it in when absent), so
    // local X-Forwarded-For values prove nothing; behind Cloudflare it is the real peer address.
    await expectNoLeaksMeasured(records, { clientIp: '203.0.113.7' });
    await smugglingBlocked.record();
  });

  it('over the whole file: nothing outside /api/v1/ and /api/auth/, nothing to /__origin, every X-User-Id the sub of its token', () => {
    expectNoLeaks(stack.origin.wire.filter((record) => record.headers['x-forwarded-for'] !== '203.0.113.7'));
    const paths = new Set(stack.origin.wire.map((record) => record.path));
    const expectedPaths = cases.flatMap((wireCase) => wireCase.reaches);
    expect(expectedPaths.length).toBeGreaterThan(10);
    expect(expectedPaths.filter((path) => !paths.has(path))).toEqual([]);
    expect(stack.origin.wire.filter((record) => record.path.includes('__origin'))).toEqual([]);
    const v1 = stack.origin.wire.filter((record) => record.path.startsWith('/api/v1/'));
    expect(v1.filter((record) => record.headers['x-user-id'] !== subOf(record.headers.authorization))).toEqual([]);
    expect(new Set(v1.map((record) => record.headers['x-user-id']))).toEqual(new Set([alice.userId]));
  });

  it('the body cut short (Content-Length 100, 5 bytes sent) never completed at the origin, if it got there at all', async () => {
    // Whether the streamed request reached the origin is up to wrangler dev; either way it
    // arrived at most once, and every arrival was cut off without an answer.
    const attempts = stack.origin.state.requests.filter((entry) => entry.path === SHORT_BODY_PATH);
    expect(attempts.length).toBeLessThanOrEqual(1);
    await waitFor(() => attempts.every((attempt) => attempt.aborted), { description: 'the origin to see the upload cut off' });
    expect(attempts.filter((attempt) => attempt.status !== null)).toEqual([]);
  });
});

describe('CORS (against wrangler dev)', () => {
  const preflight = (path: string, origin: string) =>
    fetch(`${stack.workerUrl}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  function expectNoWildcard(res: Response): void {
    expect(res.headers.get('access-control-allow-origin')).not.toBe('*');
    if (res.headers.get('access-control-allow-credentials') === 'true') {
      expect(res.headers.get('access-control-allow-origin')).toMatch(/^https?:\/\/[^*]+$/);
    }
  }

  const apiPaths = ['/api/v1/tasks', '/api/chatkit', '/api/flags', '/api/auth/sign-in/email', '/api/chatkit/session'];

  it.each(apiPaths)(
    'a preflight to %s from an allowed origin (the extra one, and the worker itself) is answered with that origin, credentials, and no wildcard',
    async (path) => {
      const start = stack.origin.wire.length;
      for (const origin of [EXTRA_ORIGIN, stack.workerUrl]) {
        const res = await preflight(path, origin);
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        expect(res.headers.get('access-control-allow-methods')).toContain('POST');
        expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
        expect(res.headers.get('vary')?.toLowerCase()).toContain('origin');
        expectNoWildcard(res);
      }
      expect(receivedSince(start)).toEqual([]); // preflights end at the worker
    },
  );

  const refused = [
    'https://evil.example',
    'null',
    'https://app.example.test.evil.example',
    'https://evilapp.example.test',
    'http://app.example.test',
    'https://app.example.test:8443',
    'HTTPS://APP.EXAMPLE.TEST',
    `http://127.0.0.1:1`,
  ];
  it.each(refused)('a preflight from %s is refused: 403 JSON, no CORS headers, origin never asked', async (origin) => {
    const start = stack.origin.wire.length;
    for (const path of apiPaths) {
      const res = await preflight(path, origin);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    expect(receivedSince(start)).toEqual([]);
  });

  it('an ordinary request from another origin gets its answer without CORS headers (the browser keeps it from the page)', async () => {
    const res = await fetch(`${stack.workerUrl}/api/flags`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${alice.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('an ordinary request from an allowed origin gets that origin echoed with credentials and the exposed headers', async () => {
    const res = await fetch(`${stack.workerUrl}/api/v1/tasks`, { headers: { origin: EXTRA_ORIGIN, authorization: `Bearer ${alice.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(EXTRA_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('origin');
    expectNoWildcard(res);
  });

  it("a cross-site sign-in POST reaches Better Auth with the attacker's Origin intact, and Better Auth refuses it", async () => {
    const start = stack.origin.wire.length;
    const res = await fetch(`${stack.workerUrl}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ email: alice.email, password: 'correct-horse-battery-staple' }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(receivedSince(start).map((record) => [record.path, record.headers.origin])).toEqual([['/api/auth/sign-in/email', 'https://evil.example']]);
  });
});

// Last on purpose: after an early answer to a chunked body it has not read, wrangler dev fails the
// next request on the server (a 500 or a stalled connection; a plain workerd test worker does the
// same, cancelling the body does not help). A wrangler dev quirk, not the worker's: so nothing
// runs against this stack after it.
describe('oversize chunked body (last: wrangler dev stumbles on the request after it)', () => {
  it('2 MB chunked body without a length (limit 1 MB) → 413 before the origin hears of it', async () => {
    const start = stack.origin.wire.length;
    const exchange = await rawExchange(
      stack.port,
      `POST /api/v1/__test/upload?m=big-chunked HTTP/1.1\r\n${host()}${asAlice()}Transfer-Encoding: chunked\r\n\r\n${`c350\r\n${'x'.repeat(50_000)}\r\n`.repeat(40)}0\r\n\r\n`,
      { deadlineMs: 15_000 },
    );
    expect(exchange.responses.map((response) => response.status)).toEqual([413]);
    expect((JSON.parse(exchange.responses[0]!.body) as { error: { code: string } }).error.code).toBe('payload_too_large');
    await expectNoLeaksMeasured(receivedSince(start));
    expect(receivedSince(start).filter((record) => record.path !== JWKS_PATH)).toEqual([]);
    await smugglingBlocked.record();
  });
});
