import { resolveChatVariant, type FlagsResponse } from '../../shared/flags';
import { isChatkitConfigured, type Config } from '../config';
import type { FlagSnapshot } from './flags-store';

/** What `GET /api/flags` answers for this user (or anonymous caller), from one flag snapshot. */
export function resolveFlags(config: Config, snapshot: FlagSnapshot, userId: string | null): FlagsResponse {
  const rollback = snapshot.rollback || config.rollbackVar;
  const chat = resolveChatVariant({ rollback, chatkitConfigured: isChatkitConfigured(config), flags: snapshot.flags }, userId);
  return {
    chat,
    rollback,
    rollout_percent: snapshot.flags.chatkit.rollout_percent,
    chatkit: { mode: config.chatkit.mode, api_url: '/api/chatkit', domain_key: config.chatkit.domainKey },
  };
}
