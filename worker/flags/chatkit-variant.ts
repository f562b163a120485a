import type { Context } from 'hono';
import { ApiError } from '../lib/errors';
import type { FlagsResponse } from '../../shared/flags';
import type { AppEnv } from '../types';
import { readFlagSnapshot } from './flags-store';
import { resolveFlags } from './resolve-flags';

/**
 * 403 `chatkit_disabled` unless the flags put this user on ChatKit, by the same resolution
 * `GET /api/flags` answers with (rollback, deny/allow lists, sticky rollout bucket). A user the
 * SPA shows the legacy chat to cannot mint OpenAI sessions or use `/api/chatkit` by calling them
 * directly, and a rollback stops ChatKit traffic at once, not only at the next page load.
 */
export async function assertChatkitVariant<E extends AppEnv>(c: Context<E>, userId: string): Promise<void> {
  const { chat } = await resolvedFlagsFor(c, userId);
  if (chat.variant !== 'chatkit') {
    throw new ApiError('chatkit_disabled', `ChatKit is not enabled for this account (${chat.reason}).`);
  }
}

/**
 * The signed-in user's flags, resolved once per request and kept in `c.var.resolvedFlags`: the
 * ChatKit gate and the rollout signals (worker/middleware/signals.ts) read the same answer.
 */
export async function resolvedFlagsFor<E extends AppEnv>(c: Context<E>, userId: string): Promise<FlagsResponse> {
  const known = c.get('resolvedFlags');
  if (known) return known;
  const resolved = resolveFlags(c.get('config'), await readFlagSnapshot(c), userId);
  c.set('resolvedFlags', resolved);
  return resolved;
}
