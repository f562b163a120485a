import { useCallback, useEffect, useReducer, useRef } from 'react';
import * as v from 'valibot';
import { describeError } from '../../api/api-error';
import { useOriginApi } from '../../api/origin-api';
import { useAuthFetch } from '../../auth/auth-context';
import { streamChatTurn } from './chat-stream';
import { chatThreadReducer, initialChatThreadState, type ChatThreadState } from './chat-thread-state';
import { recordTelemetry } from '../../telemetry/telemetry-client';

export interface ChatThreadCallbacks {
  /** The server numbered a new conversation (`start`): it now belongs in the sidebar. */
  onConversationStarted: (conversationId: number) => void;
  /** A turn ended (answered or failed after the server stored it): lists may have changed. */
  onTurnFinished: () => void;
}

export interface ChatThread {
  state: ChatThreadState;
  send: (text: string) => void;
  retry: () => void;
  openConversation: (conversationId: number) => void;
  startNewChat: () => void;
}

let turnCounter = 0;

/**
 * One conversation of the legacy chat: loads its messages, sends turns and streams the answers.
 * Switching conversation (or leaving the page) aborts the stream in flight.
 */
export function useChatThread(callbacks: ChatThreadCallbacks): ChatThread {
  const api = useOriginApi();
  const authFetch = useAuthFetch();
  const [state, dispatch] = useReducer(chatThreadReducer, initialChatThreadState);
  const activeRequest = useRef<AbortController | null>(null);
  const callbacksRef = useRef(callbacks);
  useEffect(() => {
    callbacksRef.current = callbacks;
  });
  useEffect(() => () => activeRequest.current?.abort(), []);

  /** Aborts whatever is in flight and returns the controller for the next request. */
  const takeOver = useCallback(() => {
    activeRequest.current?.abort();
    const controller = new AbortController();
    activeRequest.current = controller;
    return controller;
  }, []);

  const runTurn = useCallback(
    async (text: string, conversationId: number | null) => {
      const controller = takeOver();
      turnCounter += 1;
      dispatch({ type: 'send-started', text, turnId: `turn${turnCounter}` });
      let stored = false;
      try {
        for await (const event of streamChatTurn(authFetch, { message: text, conversationId }, controller.signal)) {
          if (controller.signal.aborted) return;
          switch (event.type) {
            case 'start':
              stored = true;
              dispatch({ type: 'stream-started', conversationId: event.data.conversation_id });
              if (conversationId === null) callbacksRef.current.onConversationStarted(event.data.conversation_id);
              break;
            case 'tool':
              dispatch({ type: 'tool-used', name: event.data.name });
              break;
            case 'delta':
              dispatch({ type: 'delta-received', text: event.data.text });
              break;
            case 'done':
              dispatch({ type: 'answer-finished', reply: event.data });
              callbacksRef.current.onTurnFinished();
              return;
            case 'error':
              recordTelemetry({ type: 'legacy_stream_error', code: 'origin_error' });
              dispatch({ type: 'answer-failed', failure: { message: event.data.message, retryText: text } });
              callbacksRef.current.onTurnFinished();
              return;
          }
        }
        throw new Error('The connection closed before the answer was complete.');
      } catch (error) {
        if (controller.signal.aborted) return;
        recordTelemetry({ type: 'legacy_stream_error', code: stored ? 'stream_broken' : 'request_failed' });
        const message = v.isValiError(error) ? 'Messages must be 1 to 4000 characters long.' : describeError(error);
        dispatch({ type: 'answer-failed', failure: { message, retryText: text } });
        // The server may have stored the question and run tools before the connection broke.
        if (stored) callbacksRef.current.onTurnFinished();
      } finally {
        if (activeRequest.current === controller) activeRequest.current = null;
      }
    },
    [authFetch, takeOver],
  );

  const send = useCallback(
    (text: string) => {
      const message = text.trim();
      if (!message || state.sending || state.loading) return;
      void runTurn(message, state.conversationId);
    },
    [runTurn, state.sending, state.loading, state.conversationId],
  );

  const retry = useCallback(() => {
    if (!state.failure || state.sending) return;
    dispatch({ type: 'retry-started' });
    void runTurn(state.failure.retryText, state.conversationId);
  }, [runTurn, state.failure, state.sending, state.conversationId]);

  const openConversation = useCallback(
    (conversationId: number) => {
      const controller = takeOver();
      dispatch({ type: 'load-started', conversationId });
      api.getConversation(conversationId, controller.signal).then(
        (detail) => {
          if (!controller.signal.aborted) dispatch({ type: 'load-succeeded', conversationId, messages: detail.messages });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) dispatch({ type: 'load-failed', message: describeError(error) });
        },
      );
    },
    [api, takeOver],
  );

  const startNewChat = useCallback(() => {
    activeRequest.current?.abort();
    activeRequest.current = null;
    dispatch({ type: 'new-chat' });
  }, []);

  return { state, send, retry, openConversation, startNewChat };
}
