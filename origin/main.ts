/**
 * `npx tsx origin/main.ts`: the reference origin for `npm run dev`.
 *   ORIGIN_PORT        port to listen on (default 8788)
 *   PUBLIC_URL         the worker's public URL, trusted by Better Auth (default http://127.0.0.1:8787);
 *                      several may be given, comma-separated
 *   ORIGIN_TEST_ROUTES 1 to serve /api/v1/__test/*
 *   ORIGIN_AUTH_SECRET Better Auth secret (default: random per run; the data is in memory anyway)
 *   ORIGIN_DEV_FAULTS  0 to turn off /__dev/faults (README "Operations: guarded rollout"; on by default here)
 */
import { startOrigin } from './server';

const DEFAULT_PORT = 8788;
const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8787';

function readPort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`ORIGIN_PORT must be a port number (0-65535), got "${raw}".`);
  }
  return port;
}

function readPublicUrls(raw: string | undefined): string[] {
  const urls = (raw ?? DEFAULT_PUBLIC_URL)
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  // `localhost` and `127.0.0.1` are different origins to a browser; trust both spellings.
  const aliases = urls.flatMap((url) => [url.replace('//127.0.0.1', '//localhost'), url.replace('//localhost', '//127.0.0.1')]);
  return [...new Set([...urls, ...aliases])];
}

const origin = await startOrigin({
  port: readPort(process.env.ORIGIN_PORT),
  publicUrls: readPublicUrls(process.env.PUBLIC_URL),
  testRoutes: process.env.ORIGIN_TEST_ROUTES === '1',
  devFaults: process.env.ORIGIN_DEV_FAULTS !== '0',
  ...(process.env.ORIGIN_AUTH_SECRET ? { authSecret: process.env.ORIGIN_AUTH_SECRET } : {}),
});
console.log(`origin listening on ${origin.url}`);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  console.log(`origin: ${signal}, shutting down`);
  origin.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('origin: failed to close cleanly', error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
