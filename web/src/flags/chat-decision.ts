import { readJson } from '../api/api-error';
import type { AuthFetch } from '../auth/auth-fetch';
import { FlagsResponseSchema, type FlagsResponse } from '../../../shared/flags';

export type ChatkitConfig = FlagsResponse['chatkit'];

/** Why ChatKit was chosen but could not be shown; each ends in the legacy chat. */
export type ChatkitUnavailableReason =
  | 'chatkit_script_failed'
  | 'chatkit_disabled'
  | 'chatkit_not_configured'
  | 'chatkit_failed';

export type VariantReason = FlagsResponse['chat']['reason'] | 'flags_unavailable' | ChatkitUnavailableReason;

/**
 * Which chat this user sees and why. `reason` is exposed on `<main data-variant-reason>` so ops and
 * end-to-end tests can tell a rollback from a rollout miss from a fallback.
 */
export type ChatDecision =
  | { variant: 'chatkit'; reason: VariantReason; chatkit: ChatkitConfig }
  | { variant: 'legacy'; reason: VariantReason; notice: string | null };

export const CHATKIT_FALLBACK_NOTICE =
  "The new chat couldn't load, so you're in the classic chat. Your conversations and tasks are all here.";

export async function loadFlags(authFetch: AuthFetch, signal?: AbortSignal): Promise<FlagsResponse> {
  const response = await authFetch('/api/flags', { headers: { Accept: 'application/json' }, signal });
  return readJson(response, FlagsResponseSchema);
}

/** The flags' verdict, plus a client-side sanity check: backend mode cannot start without a URL and key. */
export function decideChat(flags: FlagsResponse): ChatDecision {
  if (flags.chat.variant === 'legacy') return { variant: 'legacy', reason: flags.chat.reason, notice: null };
  const { chatkit } = flags;
  if (chatkit.mode === 'backend' && (!chatkit.api_url || !chatkit.domain_key)) {
    return { variant: 'legacy', reason: 'chatkit_not_configured', notice: null };
  }
  return { variant: 'chatkit', reason: flags.chat.reason, chatkit };
}

/** If the flags cannot be read, the legacy chat is the safe default: it works without ChatKit. */
export const FLAGS_UNAVAILABLE: ChatDecision = { variant: 'legacy', reason: 'flags_unavailable', notice: null };
