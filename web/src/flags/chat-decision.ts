import { readJson } from '../api/api-error';
import type { AuthFetch } from '../auth/auth-fetch';
import { FlagsResponseSchema, type FlagsResponse } from '../../../shared/flags';

export type ChatkitConfig = FlagsResponse['chatkit'];

/** Why ChatKit was chosen but could not be shown; each ends in the legacy chat. */
export type ChatkitUnavailableReason = 'chatkit_script_failed' | 'chatkit_disabled' | 'chatkit_not_configured' | 'chatkit_failed';

/**
 * What the ChatKit page hands over when it steps aside mid-session: the conversation it had open
 * and the message the user was sending (the worker refused it, so it was not stored), plus why in
 * words when a cause is known (a script that did not load).
 */
export interface ChatHandoff {
  conversationId: number | null;
  pendingMessage: string | null;
  detail?: string;
}

export type ChatkitUnavailable = (reason: ChatkitUnavailableReason, handoff?: ChatHandoff) => void;

export type VariantReason = FlagsResponse['chat']['reason'] | 'flags_unavailable' | ChatkitUnavailableReason;

/**
 * Which chat this user sees and why. `reason` is exposed on `<main data-variant-reason>` so ops and
 * end-to-end tests can tell a rollback from a rollout miss from a fallback.
 */
export type ChatDecision =
  | { variant: 'chatkit'; reason: VariantReason; chatkit: ChatkitConfig }
  | { variant: 'legacy'; reason: VariantReason; notice: string | null; handoff?: ChatHandoff };

export const CHATKIT_FALLBACK_NOTICE = "The new chat couldn't load, so you're in the classic chat. Your conversations and tasks are all here.";
export const CHATKIT_SWITCHED_OFF_NOTICE = "The new chat was switched off for now, so you're in the classic chat. Your conversations and tasks are all here.";
export const HANDOFF_SENT_NOTICE = 'Your message was sent from here.';

/** The short, dismissible notice the legacy chat shows after ChatKit stepped aside. */
export function fallbackNotice(reason: ChatkitUnavailableReason, handoff?: ChatHandoff): string {
  const switchedOff = reason === 'chatkit_disabled' || reason === 'chatkit_not_configured';
  const base = switchedOff ? CHATKIT_SWITCHED_OFF_NOTICE : CHATKIT_FALLBACK_NOTICE;
  const why = handoff?.detail ? ` Reason: ${handoff.detail}` : '';
  const sent = handoff?.pendingMessage ? ` ${HANDOFF_SENT_NOTICE}` : '';
  return `${base}${why}${sent}`;
}

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
