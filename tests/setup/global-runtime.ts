import { fileURLToPath } from 'node:url';
import { describeToolchain, readToolchain } from '../../scripts/toolchain';

/**
 * Root-level global setup (vitest.config.ts): the run's first line names the Node and workerd
 * builds it runs on, and the run stops here if wrangler, Miniflare and the vitest integration
 * would load different workerd builds (scripts/toolchain.ts).
 */
export default function setup() {
  console.log(describeToolchain(readToolchain(fileURLToPath(new URL('../..', import.meta.url)))));
}
