import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Collects the resilience counts that workerd tests report (tests/worker/tally.ts), so the
 * run can end with one summary line built from what the assertions really checked.
 */
export async function startTallyServer() {
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/add') {
        try {
          for (const [name, value] of Object.entries(JSON.parse(text) as Record<string, unknown>)) {
            if (typeof value === 'number') counts.set(name, (counts.get(name) ?? 0) + value);
          }
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(counts)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: (name: string) => counts.get(name) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
