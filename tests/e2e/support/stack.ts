import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WranglerKv } from '../../../scripts/flags/wrangler-kv';
import { startStack, type RunningStack, type StackOptions } from '../../../scripts/dev/stack';
import { getFreePort } from '../../helpers/ports';

/**
 * `npm run dev`'s stack (reference origin + `wrangler dev`) on free ports with its own local
 * state folder, so `npm run flags -- … --local --persist-to <dir>` steers exactly this worker.
 */
export interface E2eStack extends RunningStack {
  persistTo: string;
  kv: WranglerKv;
  stopAndClean(): Promise<void>;
}

/** Passed through to `startStack` (e.g. `originEnv: { ORIGIN_TEST_ROUTES: '1' }`, or an origin the test runs itself). */
export type E2eStackOptions = Partial<Pick<StackOptions, 'port' | 'originEnv' | 'externalOriginUrl'>>;

/**
 * A 1 s flag cache so ops changes show quickly, and rate limits out of the way: every browser
 * here shares one IP and the suites sign many users up (rate limits have their own tests).
 */
const E2E_VARS: Record<string, string> = {
  FLAGS_CACHE_TTL_SECONDS: '1',
  RATE_LIMIT_AUTH: '100000/60',
  RATE_LIMIT_ANONYMOUS: '100000/60',
  RATE_LIMIT_API: '100000/60',
  RATE_LIMIT_CHAT: '100000/60',
  RATE_LIMIT_SESSION: '100000/60',
};

export async function startE2eStack(vars: Record<string, string> = {}, options: E2eStackOptions = {}): Promise<E2eStack> {
  const root = process.cwd();
  const persistTo = mkdtempSync(join(tmpdir(), 'calm-orbit-e2e-'));
  const [port, originPort] = [options.port ?? (await getFreePort()), await getFreePort()];
  const stack = await startStack({ ...options, root, port, originPort, persistTo, vars: { ...E2E_VARS, ...vars } });
  const kv = new WranglerKv({ location: 'local', persistTo, cwd: root });
  return {
    ...stack,
    persistTo,
    kv,
    async stopAndClean() {
      await stack.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
