import type { Context } from 'hono';
import { ApiError } from '../lib/errors';
import type { AppEnv } from '../types';
import { readFlagSnapshot } from './flags-store';
import { resolveFlags } from './resolve-flags';

/**
 * 403 `chatkit_disabled` unless the flags put this user on ChatKit, by the same resolution
 * `GET /api/flags` answers with (rollback, deny/allow lists, sticky rollout bucket). A user the
 * SPA shows the legacy chat to cannot mint OpenAI sessions or use `/api/chatkit` by calling them
 * directly, and a rollback stops ChatKit traffic at once, not only at the next page load.
 */
export async function assertChatkitVariant(c: Context<AppEnv>, userId: string): Promise<void> {
  const config = c.get('config');
  const snapshot = await readFlagSnapshot(c);
  const { chat } = resolveFlags(config, snapshot, userId);
  if (chat.variant !== 'chatkit') {
    throw new ApiError('chatkit_disabled', `ChatKit is not enabled for this account (${chat.reason}).`);
  }
}
