/**
 * `npm run dev`: builds the SPA, seeds local KV so the ChatKit page shows, then runs the
 * reference origin (http://127.0.0.1:8788) and the worker under `wrangler dev`
 * (http://127.0.0.1:8787). `PORT` / `ORIGIN_PORT` move them; `ORIGIN_URL` uses your own origin
 * instead of the reference one. Ctrl-C stops everything it started.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KV_KEY_FLAGS } from '../shared/flags';
import { WranglerKv } from './flags/wrangler-kv';
import { ensureDevVars, startStack } from './dev/stack';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);

if (ensureDevVars(root)) console.log('created .dev.vars from .dev.vars.example (embedded local defaults)');

console.log('building the SPA (vite build)…');
execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });

// A newcomer should see the ChatKit page: put everyone in the rollout unless ops already chose.
const kv = new WranglerKv({ location: 'local', cwd: root });
if ((await kv.get(KV_KEY_FLAGS)) === null) {
  await kv.put(KV_KEY_FLAGS, JSON.stringify({ chatkit: { rollout_percent: 100, allow_users: [], deny_users: [] } }));
  console.log('seeded local KV: flags = ChatKit for 100% of users (npm run flags -- status)');
}

// The rollout guard runs on its production schedule, once a minute (README "Operations: guarded rollout").
const stack = await startStack({ root, port, originPort, externalOriginUrl: process.env.ORIGIN_URL, inheritOutput: true, guardEveryMs: 60_000 });
console.log(`
  Calm Orbit Edge is running
    app + worker:  ${stack.workerUrl}
    origin:        ${stack.originUrl}${process.env.ORIGIN_URL ? ' (yours)' : ' (reference origin, in-memory)'}
  Flip flags live:  npm run flags -- rollback on     (Ctrl-C stops everything)
  Rollout health:   npm run flags -- report          (the guard runs every minute: npm run flags -- guard)
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
