import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostileOrigin, type HostileOrigin } from './hostile-origin';
import { hostileStats, registeredScenarioUrl } from './hostile-scenarios';

/** How long to wait for the origin to see its connection closed (a deadline for readiness, not an assertion). */
const ORIGIN_CLOSE_POLL = { timeout: 10_000, interval: 50 };

/** The hostile origin's own tests: it sends exactly what it is told and counts what the socket took. */

let origin: HostileOrigin;
beforeAll(async () => {
  origin = await startHostileOrigin();
});
afterAll(() => origin.close());

/** One GET over a bare socket; resolves with the raw bytes once the server closes or `stopAfter` arrived. */
function rawGet(url: string, stopAfter = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const { port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= stopAfter) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(`GET ${pathname}/api/v1/x HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

describe('hostile origin', () => {
  it('sends header lines byte for byte, bare CR included', async () => {
    const raw = await rawGet(origin.urlFor({ kind: 'raw', id: 'raw-1', headerLines: ['x-a: 1\rset-cookie: evil=1', 'location: {{base}}/next'], body: 'hi' }));
    const text = raw.toString('latin1');
    expect(text).toContain('\r\nx-a: 1\rset-cookie: evil=1\r\n');
    expect(text).toMatch(/\r\nlocation: http:\/\/127\.0\.0\.1:\d+\/s\/[\w-]+\/next\r\n/);
    expect(text.endsWith('\r\n\r\nhi')).toBe(true);
    expect(await hostileStats(origin.url, 'raw-1')).toEqual({ bytes: 2, closedByPeer: false, connections: 1 });
  });

  it('serves a registered scenario too large for a URL under a short key, with {{base}} as that key', async () => {
    const body = 'b'.repeat(300 * 1024);
    const base = await registeredScenarioUrl(origin.url, { kind: 'raw', id: 'registered-1', headerLines: ['location: {{base}}/next'], body });
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/k\/\d+$/);
    const text = (await rawGet(base)).toString('latin1');
    expect(text).toContain(`\r\nlocation: ${base}/next\r\n`);
    expect(text).toContain(`\r\ncontent-length: ${body.length}\r\n`);
    expect(text.endsWith(`\r\n\r\n${body}`)).toBe(true);
    const other = await registeredScenarioUrl(origin.url, { kind: 'raw', id: 'registered-2', headerLines: [], body: 'two' });
    expect(other).not.toBe(base);
    expect((await rawGet(other)).toString('latin1').endsWith('\r\n\r\ntwo')).toBe(true);
  });

  it('floods only as fast as the reader takes: a reader that stops, stops the count; hanging up is seen', async () => {
    const url = origin.urlFor({ kind: 'sse-flood', id: 'flood-1', prelude: 'event: a\ndata: 1\n\n', filler: 'x'.repeat(1000) });
    const { port, pathname } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(`GET ${pathname}/x HTTP/1.1\r\nhost: x\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    let last = -1;
    for (let still = 0; still < 5; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { bytes } = await hostileStats(origin.url, 'flood-1');
      still = bytes === last ? still + 1 : 0;
      last = bytes;
    }
    expect(last).toBeGreaterThan(0);
    socket.destroy();
    await expect.poll(async () => (await hostileStats(origin.url, 'flood-1')).closedByPeer, ORIGIN_CLOSE_POLL).toBe(true);
  });

  it('a JSON flood is valid JSON of about the size asked, with a matching Content-Length', async () => {
    const raw = (await rawGet(origin.urlFor({ kind: 'json-flood', id: 'json-1', bytes: 50_000, contentLength: true }))).toString('utf8');
    const [head, body = ''] = raw.split('\r\n\r\n');
    expect(Number(/content-length: (\d+)/.exec(head!)?.[1])).toBe(Buffer.byteLength(body));
    const list = JSON.parse(body) as unknown[];
    expect(body.length).toBeGreaterThan(45_000);
    expect(body.length).toBeLessThanOrEqual(50_000);
    expect(list[0]).toMatchObject({ id: 1, title: expect.any(String) });
  });
});
