import { useCallback, useEffect, useReducer, useRef } from 'react';
import * as v from 'valibot';
import { ApiError, describeError } from '../../api/api-error';
import { useOriginApi } from '../../api/origin-api';
import { useAuthFetch } from '../../auth/auth-context';
import { MAX_MESSAGE_LENGTH } from '../../../../shared/origin';
import { CONVERSATION_NOT_FOUND_TEXT } from '../chat-copy';
import { fetchChatTurnEvents, type ChatTurnRequest } from './chat-stream';
import { chatThreadReducer, initialChatThreadState, type ChatThreadState } from './chat-thread-state';
import { recordTelemetry } from '../../telemetry/telemetry-client';

export interface ChatThreadCallbacks {
  /** The server numbered a new conversation (`start`): it now belongs in the sidebar and the URL. */
  onConversationStarted: (conversationId: number) => void;
  /** A turn ended (answered or failed after the server stored it): lists may have changed. */
  onTurnFinished: () => void;
}

export interface ChatThread {
  state: ChatThreadState;
  send: (text: string) => void;
  retry: () => void;
  /** Stops the answer being written; what was shown stays (the origin keeps it, marked interrupted). */
  stop: () => void;
  openConversation: (conversationId: number) => void;
  startNewChat: () => void;
}

let turnCounter = 0;

const ANSWER_CUT_OFF = 'The connection closed before the answer was complete.';

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
    async (text: string, request: ChatTurnRequest) => {
      const controller = takeOver();
      turnCounter += 1;
      const retry = 'retryOfMessageId' in request;
      dispatch({ type: 'send-started', text, turnId: `turn${turnCounter}`, retry });
      let storedQuestion: number | null = retry ? request.retryOfMessageId : null;
      let started = retry;
      let answering = false;
      try {
        for await (const event of fetchChatTurnEvents(authFetch, request, controller.signal)) {
          if (controller.signal.aborted) return;
          switch (event.name) {
            case 'start':
              started = true;
              answering = true;
              storedQuestion = event.data.user_message_id ?? storedQuestion;
              dispatch({ type: 'stream-started', conversationId: event.data.conversation_id, userMessageId: event.data.user_message_id ?? null });
              if (request.conversationId === null) callbacksRef.current.onConversationStarted(event.data.conversation_id);
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
              dispatch({ type: 'answer-failed', failure: { message: event.data.message, retryText: text, retryOfMessageId: storedQuestion } });
              callbacksRef.current.onTurnFinished();
              return;
          }
        }
        throw new Error(ANSWER_CUT_OFF);
      } catch (error) {
        if (controller.signal.aborted) return;
        recordTelemetry({ type: 'legacy_stream_error', code: answering ? 'stream_broken' : 'request_failed' });
        // A stream cut mid-answer either just ends (above) or fails the body read with a network
        // TypeError, as workerd does when the origin drops: once `start` arrived, both mean the same.
        const cutOff = answering && error instanceof TypeError;
        const message = v.isValiError(error) ? `Messages must be 1 to ${MAX_MESSAGE_LENGTH} characters long.` : cutOff ? ANSWER_CUT_OFF : describeError(error);
        dispatch({ type: 'answer-failed', failure: { message, retryText: text, retryOfMessageId: storedQuestion } });
        // The server may have stored the question and run tools before the connection broke.
        if (started) callbacksRef.current.onTurnFinished();
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
      void runTurn(message, { message, conversationId: state.conversationId });
    },
    [runTurn, state.sending, state.loading, state.conversationId],
  );

  const retry = useCallback(() => {
    const { failure, conversationId } = state;
    if (!failure || state.sending) return;
    // A stored question is answered again by the origin (never stored twice); one the server never
    // got is simply sent again.
    const keepQuestion = failure.retryOfMessageId !== null && conversationId !== null;
    dispatch({ type: 'retry-started', keepQuestion });
    if (keepQuestion) void runTurn(failure.retryText, { retryOfMessageId: failure.retryOfMessageId!, conversationId: conversationId! });
    else void runTurn(failure.retryText, { message: failure.retryText, conversationId });
  }, [runTurn, state]);

  const stop = useCallback(() => {
    if (!activeRequest.current || !state.sending) return;
    activeRequest.current.abort();
    activeRequest.current = null;
    dispatch({ type: 'answer-stopped' });
    callbacksRef.current.onTurnFinished();
  }, [state.sending]);

  const openConversation = useCallback(
    (conversationId: number) => {
      const controller = takeOver();
      dispatch({ type: 'load-started', conversationId });
      api.getConversation(conversationId, controller.signal).then(
        (detail) => {
          if (!controller.signal.aborted) dispatch({ type: 'load-succeeded', conversationId, messages: detail.messages });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.status === 404) dispatch({ type: 'load-failed', message: CONVERSATION_NOT_FOUND_TEXT, notFound: true });
          else dispatch({ type: 'load-failed', message: describeError(error) });
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

  return { state, send, retry, stop, openConversation, startNewChat };
}
