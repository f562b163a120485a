import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { scenarioUrl, type Scenario, type ScenarioStats } from './hostile-scenarios';

/**
 * A hostile origin for the worker's hardening tests, on a bare TCP socket (`node:net`) so it can
 * send what no HTTP library would: a header value with a bare CR, a `Set-Cookie` on any path, a
 * `data:` line that never ends, an endless stream, a stream that stalls after its first event.
 *
 * What to do is in the URL, so the worker reaches it through `ORIGIN_URL` alone: the worker's
 * `ORIGIN_URL` is set to {@link HostileOrigin.urlFor}`(scenario)`, a base URL whose first path
 * segment carries the scenario (base64url JSON), and whatever path the worker appends
 * (`/api/v1/chat`, `/api/v1/conversations`, `/api/auth/…`) gets that scenario's answer. A worker
 * whose `ORIGIN_URL` is fixed (`wrangler dev`) can pass it as `?scenario=` ({@link scenarioQuery}).
 *
 * `GET /__hostile/stats/<id>` → {@link ScenarioStats}: the bytes the socket accepted (written and
 * flushed past Node's own buffer, so a reader that stops reading stops this count) and whether
 * the worker closed the connection before the answer was over.
 */

export interface HostileOrigin {
  url: string;
  urlFor(scenario: Scenario): string;
  close(): Promise<void>;
}

/** An element of a conversation list, padded to about 200 bytes. */
const conversationJson = (id: number) =>
  JSON.stringify({ id, title: `conversation ${id} ${'x'.repeat(100)}`, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' });

export async function startHostileOrigin(): Promise<HostileOrigin> {
  const stats = new Map<string, ScenarioStats>();
  const statsOf = (id: string) => {
    let entry = stats.get(id);
    if (!entry) {
      entry = { bytes: 0, closedByPeer: false, connections: 0 };
      stats.set(id, entry);
    }
    return entry;
  };
  const sockets = new Set<Socket>();

  /** Writes and waits until Node's buffer has room again: the count follows the reader's pace. */
  const write = (socket: Socket, entry: ScenarioStats, chunk: string | Buffer): Promise<boolean> =>
    new Promise((resolve) => {
      if (socket.destroyed) return resolve(false);
      const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      const flushed = socket.write(chunk, () => undefined);
      entry.bytes += bytes;
      if (flushed) return resolve(true);
      const done = (ok: boolean) => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });

  async function answer(socket: Socket, scenario: Scenario, base: string): Promise<void> {
    const entry = statsOf(scenario.id);
    entry.connections++;
    let finished = false;
    socket.on('close', () => {
      if (!finished) entry.closedByPeer = true;
    });
    const head = (status: number, lines: string[]) => socket.write(`HTTP/1.1 ${status} X\r\n${[...lines, 'connection: close'].join('\r\n')}\r\n\r\n`);

    if (scenario.kind === 'raw') {
      const body = scenario.body ?? '';
      const lines = scenario.headerLines.map((line) => line.replaceAll('{{base}}', base));
      head(scenario.status ?? 200, [...lines, `content-length: ${Buffer.byteLength(body)}`]);
      await write(socket, entry, body);
      finished = true;
      socket.end();
      return;
    }
    if (scenario.kind === 'json-flood') {
      const element = conversationJson(1);
      const count = Math.max(1, Math.floor(scenario.bytes / (element.length + 1)));
      const total = 2 + count * element.length + (count - 1);
      head(200, ['content-type: application/json', ...(scenario.contentLength ? [`content-length: ${total}`] : [])]);
      if (!(await write(socket, entry, '['))) return;
      for (let i = 0; i < count; i++) {
        if (!(await write(socket, entry, (i ? ',' : '') + element))) return;
      }
      await write(socket, entry, ']');
      finished = true;
      socket.end();
      return;
    }
    head(200, ['content-type: text/event-stream', 'cache-control: no-cache']);
    if (!(await write(socket, entry, scenario.prelude))) return;
    if (scenario.kind === 'sse-stall') return;
    const filler = Buffer.from(scenario.filler);
    while (await write(socket, entry, filler));
  }

  /**
   * Scenarios too large for a URL (a body of hundreds of KB; workerd refuses a URI that long) are
   * registered first: `POST /__hostile/scenarios` with the scenario as JSON answers `{"key"}`, and
   * `/k/<key>/…` then serves it.
   */
  const registered = new Map<string, Scenario>();
  async function registerScenario(socket: Socket, requestHead: string, first: Buffer): Promise<void> {
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(requestHead)?.[1] ?? 0);
    const chunks = [first];
    let received = first.length;
    await new Promise<void>((resolve) => {
      const onChunk = (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= length) done();
      };
      const done = () => {
        socket.off('data', onChunk);
        socket.off('end', done);
        resolve();
      };
      if (received >= length) return resolve();
      socket.on('data', onChunk);
      socket.on('end', done);
    });
    const key = String(registered.size + 1);
    registered.set(key, JSON.parse(Buffer.concat(chunks).subarray(0, length).toString()) as Scenario);
    const body = JSON.stringify({ key });
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  }

  let url = '';
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const target = head.slice(0, head.indexOf('\r\n')).split(' ')[1] ?? '/';
      if (target === '/__hostile/scenarios') {
        void registerScenario(socket, head.slice(0, end), Buffer.from(head.slice(end + 4), 'latin1'));
        return;
      }
      // Request bodies are read and ignored from here on.
      socket.on('data', () => undefined);
      const statsMatch = /^\/__hostile\/stats\/([\w-]+)$/.exec(target);
      if (statsMatch) {
        const body = JSON.stringify(statsOf(statsMatch[1]!));
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return;
      }
      // A registered scenario (`/k/<key>/`), one riding in the base URL's path (`/s/<base64url>/`),
      // or (for an ORIGIN_URL fixed at start-up) one in `?scenario=`.
      const keyMatch = /^\/k\/(\d+)\//.exec(target);
      const scenarioMatch = /^\/s\/([\w-]+)\//.exec(target) ?? /[?&]scenario=([\w-]+)/.exec(target);
      const scenario = keyMatch
        ? registered.get(keyMatch[1]!)
        : scenarioMatch
          ? (JSON.parse(Buffer.from(scenarioMatch[1]!, 'base64url').toString()) as Scenario)
          : undefined;
      if (!scenario) {
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const base = keyMatch ? `${url}/k/${keyMatch[1]}` : target.startsWith('/s/') ? `${url}/s/${scenarioMatch![1]}` : url;
      void answer(socket, scenario, base).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    urlFor: (scenario) => scenarioUrl(url, scenario),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
