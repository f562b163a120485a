import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2eStack, type E2eStack } from '../e2e/support/stack';
import { startHostileOrigin, type HostileOrigin } from '../fakes/hostile-origin';
import { hostileStats, scenarioQuery, type Scenario } from '../fakes/hostile-scenarios';
import { startTestIssuer, type TestIssuer } from '../fakes/test-issuer';
import { getFreePort } from '../helpers/ports';
import { resilienceFigure } from '../worker/tally';
import { rawExchange, type RawResponse } from './support/raw-http';

// the stalled legacy stream
const originFaultsSurvived = resilienceFigure('origin_faults_survived', 1);
// 4 + 2 + 1, one per header the browser must not see
const hostileHeadersDropped = resilienceFigure('hostile_origin_headers_dropped', 7);

/**
 * A hostile origin behind `wrangler dev`, read from the browser's side of the wire: a raw socket to
 * workerd's own HTTP server, so what is asserted is the bytes a browser would parse, after both
 * workerd's parsers (origin side and client side) and the worker's allowlist.
 */

let stack: E2eStack;
let origin: HostileOrigin;
let issuer: TestIssuer;
let port: number;
let token: string;

beforeAll(async () => {
  [origin, issuer, port] = await Promise.all([startHostileOrigin(), startTestIssuer(), getFreePort()]);
  stack = await startE2eStack(
    { JWT_JWKS_URL: `${issuer.url}/jwks`, JWT_ISSUER: issuer.url, JWT_AUDIENCE: issuer.audience, ORIGIN_STREAM_IDLE_MS: '500' },
    { port, externalOriginUrl: origin.url },
  );
  token = ((await (await fetch(`${issuer.url}/sign`, { method: 'POST', body: JSON.stringify({ payload: { sub: 'wire-user' } }) })).json()) as { token: string })
    .token;
}, 180_000);

afterAll(async () => {
  await stack?.stopAndClean();
  await Promise.allSettled([origin?.close(), issuer?.close()]);
});

let nextId = 0;
async function viaWire(path: string, scenario: Omit<Extract<Scenario, { kind: 'raw' }>, 'id' | 'kind'>, extra = ''): Promise<RawResponse> {
  const query = scenarioQuery({ kind: 'raw', id: `wire-${nextId++}`, ...scenario });
  const request = `GET ${path}?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n${extra}Connection: close\r\n\r\n`;
  const exchange = await rawExchange(port, request, { deadlineMs: 30_000 });
  expect(exchange.responses).toHaveLength(1);
  return exchange.responses[0]!;
}

function expectNoSplitHeaders(res: RawResponse): void {
  for (const [name, value] of Object.entries(res.headers)) {
    expect(value, name).not.toMatch(/[\r\n\0]/);
    expect(value, name).not.toContain('sid=evil');
  }
}

describe('hostile origin headers, as the browser receives them', () => {
  it.each([
    ['a bare CR smuggling a cookie into Cache-Control', 'cache-control: no-store\rSet-Cookie: sid=evil'],
    ['a bare CR inside a cookie', 'set-cookie: a=1\rSet-Cookie: sid=evil'],
    ['a bare LF inside an ETag', 'etag: "x"\nSet-Cookie: sid=evil'],
    ['a plain Set-Cookie', 'set-cookie: sid=evil; Path=/'],
  ])('/api/v1: %s → no cookie, no line break reaches the browser', async (_what, line) => {
    const res = await viaWire('/api/v1/tasks', { headerLines: ['content-type: application/json', line], body: '[]' });
    expect([200, 502]).toContain(res.status);
    expect(res.headers['set-cookie']).toBeUndefined();
    expectNoSplitHeaders(res);
    await hostileHeadersDropped.record();
  });

  it("the origin's CORS answer never reaches a foreign page", async () => {
    const res = await viaWire(
      '/api/v1/tasks',
      {
        headerLines: ['content-type: application/json', 'access-control-allow-origin: https://evil.example', 'access-control-allow-credentials: true'],
        body: '[]',
      },
      'Origin: https://evil.example\r\n',
    );
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    await hostileHeadersDropped.record(2);
  });

  it("a redirect to the origin's own address shows the worker's address instead; a foreign one is dropped", async () => {
    const own = await viaWire('/api/auth/reset-password/abc', { status: 302, headerLines: [`location: ${origin.url}/reset-password?token=abc`], body: '' });
    expect(own.status).toBe(302);
    expect(own.headers.location).toBe(`http://127.0.0.1:${port}/reset-password?token=abc`);
    expect(JSON.stringify(own.headers)).not.toContain(origin.url);

    const foreign = await viaWire('/api/auth/reset-password/abc', { status: 302, headerLines: ['location: https://evil.example/phish'], body: '' });
    expect(foreign.headers.location).toBeUndefined();
    await hostileHeadersDropped.record();
  });
});

describe('a stalled origin stream, on the wire', () => {
  it('the legacy chat stream ends with an error event after ORIGIN_STREAM_IDLE_MS; the origin connection is closed', async () => {
    const id = `wire-stall-${nextId++}`;
    const query = scenarioQuery({ kind: 'sse-stall', id, prelude: 'event: start\ndata: {"conversation_id":1}\n\n' });
    const body = '{"message":"hi"}';
    const request =
      `POST /api/v1/chat?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    const exchange = await rawExchange(port, request, { deadlineMs: 30_000 });
    const [res] = exchange.responses;
    expect(res?.status).toBe(200);
    expect(res?.body.startsWith('event: start\n')).toBe(true);
    expect(res?.body.endsWith('event: error\ndata: {"message":"The answer stalled. Please try again."}\n\n')).toBe(true);
    await expect.poll(async () => (await hostileStats(origin.url, id)).closedByPeer, { timeout: 10_000 }).toBe(true);
    await originFaultsSurvived.record();
  });
});
