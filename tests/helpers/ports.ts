import { createServer } from 'node:net';

/**
 * Asks the OS for a currently unused TCP port on 127.0.0.1.
 *
 * The port is released before it is returned, so another process could in
 * theory grab it first; callers that spawn a server on it must still handle a
 * failed bind (startRedis does, by surfacing redis-server's own error).
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('getFreePort: server.address() did not return a TCP address'));
        return;
      }
      const { port } = address;
      server.close((closeError) => (closeError ? reject(closeError) : resolve(port)));
    });
  });
}
