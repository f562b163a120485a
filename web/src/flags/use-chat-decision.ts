import { useCallback, useEffect, useRef, useState } from 'react';
import { recordTelemetry } from '../telemetry/telemetry-client';
import { useAuthFetch } from '../auth/auth-context';
import {
  CHATKIT_FALLBACK_NOTICE,
  FLAGS_UNAVAILABLE,
  decideChat,
  loadFlags,
  type ChatDecision,
  type ChatkitUnavailableReason,
} from './chat-decision';

export interface ChatDecisionState {
  /** `null` while `/api/flags` is being asked. */
  decision: ChatDecision | null;
  /** ChatKit was chosen but cannot run here: switch this user to the legacy chat. */
  fallBackToLegacy: (reason: ChatkitUnavailableReason) => void;
}

/**
 * Asks `/api/flags` once per signed-in user (the key), then keeps the answer: flags are resolved
 * at boot so a user never sees the chat switch under them mid-conversation.
 */
export function useChatDecision(userKey: string): ChatDecisionState {
  const authFetch = useAuthFetch();
  const [decision, setDecision] = useState<ChatDecision | null>(null);

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
  const fallBackToLegacy = useCallback((reason: ChatkitUnavailableReason) => {
    // A rollout signal, once per page: the guard rolls back when too many ChatKit loads fall back.
    if (!fallbackReported.current) {
      fallbackReported.current = true;
      recordTelemetry({ type: 'chatkit_fallback', reason });
    }
    setDecision((current) =>
      current?.variant === 'chatkit' ? { variant: 'legacy', reason, notice: CHATKIT_FALLBACK_NOTICE } : current,
    );
  }, []);

  return { decision, fallBackToLegacy };
}
