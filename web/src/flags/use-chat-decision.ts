import { useCallback, useEffect, useRef, useState } from 'react';
import { recordTelemetry } from '../telemetry/telemetry-client';
import { useAuthFetch } from '../auth/auth-context';
import { conversationIdFromPath } from '../chat/chat-route';
import { FLAGS_UNAVAILABLE, decideChat, fallbackNotice, loadFlags, type ChatDecision, type ChatkitUnavailable } from './chat-decision';

export interface ChatDecisionState {
  /** `null` while `/api/flags` is being asked. */
  decision: ChatDecision | null;
  /** ChatKit was chosen but cannot run here (or was switched off): show the legacy chat, in place. */
  fallBackToLegacy: ChatkitUnavailable;
  /** The user closed the fallback notice. */
  dismissNotice: () => void;
}

/**
 * Asks `/api/flags` once per signed-in user (the key), then keeps the answer, with one exception:
 * a rollback. When the tab becomes visible again the flags are read once more, and a ChatKit page
 * whose user is now on the legacy chat switches to it in place (same conversation). The other way
 * (legacy → ChatKit when the rollout grows) waits for the next load, so a chat never changes
 * under someone mid-conversation.
 */
export function useChatDecision(userKey: string): ChatDecisionState {
  const authFetch = useAuthFetch();
  const [decision, setDecision] = useState<ChatDecision | null>(null);
  const current = useRef<ChatDecision | null>(null);
  current.current = decision;

  useEffect(() => {
    const controller = new AbortController();
    setDecision(null);
    loadFlags(authFetch, controller.signal).then(
      (flags) => {
        if (!controller.signal.aborted) setDecision(decideChat(flags));
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        console.warn('[flags] /api/flags failed; showing the legacy chat.', error);
        setDecision(FLAGS_UNAVAILABLE);
      },
    );
    return () => controller.abort();
  }, [authFetch, userKey]);

  const fallbackReported = useRef(false);
  const fallBackToLegacy = useCallback<ChatkitUnavailable>((reason, handoff) => {
    // A rollout signal, once per page: the guard rolls back when too many ChatKit loads fall back.
    if (!fallbackReported.current) {
      fallbackReported.current = true;
      recordTelemetry({ type: 'chatkit_fallback', reason });
    }
    setDecision((now) =>
      now?.variant === 'chatkit' ? { variant: 'legacy', reason, notice: fallbackNotice(reason, handoff), ...(handoff ? { handoff } : {}) } : now,
    );
  }, []);

  useEffect(() => {
    let controller: AbortController | null = null;
    const recheck = () => {
      if (document.visibilityState !== 'visible' || current.current?.variant !== 'chatkit') return;
      controller?.abort();
      controller = new AbortController();
      const { signal } = controller;
      loadFlags(authFetch, signal).then(
        (flags) => {
          if (signal.aborted) return;
          const fresh = decideChat(flags);
          if (fresh.variant === 'legacy') {
            const conversationId = conversationIdFromPath(window.location.pathname);
            fallBackToLegacy('chatkit_disabled', { conversationId, pendingMessage: null });
          }
        },
        () => {
          // Unreachable flags keep the page as it is; the next ChatKit call tells the truth anyway.
        },
      );
    };
    document.addEventListener('visibilitychange', recheck);
    return () => {
      document.removeEventListener('visibilitychange', recheck);
      controller?.abort();
    };
  }, [authFetch, fallBackToLegacy]);

  const dismissNotice = useCallback(() => {
    setDecision((now) => (now?.variant === 'legacy' && now.notice ? { ...now, notice: null } : now));
  }, []);

  return { decision, fallBackToLegacy, dismissNotice };
}
