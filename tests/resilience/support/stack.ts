import { decodeJwt } from 'jose';
import type { OriginOptions } from '../../../origin/app';
import { getFreePort } from '../../helpers/ports';
import { startE2eStack, type E2eStack } from '../../e2e/support/stack';
import { startWiredOrigin, type WiredOrigin } from './wired-origin';

/**
 * `wrangler dev` (workerd's own HTTP parser, local KV and Durable Objects) in front of the
 * reference origin running in this process ({@link startWiredOrigin}), with the test routes on.
 */
export interface ResilienceStack extends E2eStack {
  origin: WiredOrigin;
  /** The worker's TCP port, for raw sockets. */
  port: number;
  /** Everything the origin received since the last `resetOriginLogs()`. */
  resetOriginLogs(): void;
}

/** `vars` may depend on the worker's port (e.g. `ALLOWED_ORIGINS` listing the worker's own origin). */
export async function startResilienceStack(
  vars: Record<string, string> | ((port: number) => Record<string, string>) = {},
  originOptions: Omit<OriginOptions, 'port' | 'publicUrls' | 'testRoutes'> = {},
): Promise<ResilienceStack> {
  const port = await getFreePort();
  const origin = await startWiredOrigin({ ...originOptions, testRoutes: true, publicUrls: [`http://127.0.0.1:${port}`, `http://localhost:${port}`] });
  let stack: E2eStack;
  try {
    stack = await startE2eStack(typeof vars === 'function' ? vars(port) : vars, { port, externalOriginUrl: origin.url });
  } catch (error) {
    await origin.close();
    throw error;
  }
  return {
    ...stack,
    origin,
    port,
    resetOriginLogs() {
      origin.wire.length = 0;
      origin.state.requests.length = 0;
    },
    async stopAndClean() {
      await stack.stopAndClean();
      await origin.close();
    },
  };
}

/** The `sub` claim of a compact JWT (no verification: the worker already did that). */
export function subOf(authorization: string | undefined): string | null {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) return null;
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}
