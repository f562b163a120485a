import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WranglerKv } from '../../../scripts/flags/wrangler-kv';
import { startStack, type RunningStack } from '../../../scripts/dev/stack';
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

export async function startE2eStack(vars: Record<string, string> = {}): Promise<E2eStack> {
  const root = process.cwd();
  const persistTo = mkdtempSync(join(tmpdir(), 'calm-orbit-e2e-'));
  const [port, originPort] = [await getFreePort(), await getFreePort()];
  const stack = await startStack({ root, port, originPort, persistTo, vars: { FLAGS_CACHE_TTL_SECONDS: '1', ...vars } });
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
