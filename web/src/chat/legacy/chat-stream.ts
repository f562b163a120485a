import * as v from 'valibot';
import { ContractError, readApiError, readJson } from '../../api/api-error';
import type { AuthFetch } from '../../auth/auth-fetch';
import {
  ChatReplySchema,
  ChatRequestSchema,
  ChatRetryRequestSchema,
  ChatStreamEventError,
  parseChatStreamEvent,
  type ChatStreamEvent,
} from '../../../../shared/origin';
import { readServerSentEvents } from '../../../../shared/sse';

/** A new message, or a retry: the origin answers a stored question again (`retry_of_message_id`). */
export type ChatTurnRequest = { message: string; conversationId: number | null } | { retryOfMessageId: number; conversationId: number };

function requestBody(request: ChatTurnRequest): unknown {
  if ('retryOfMessageId' in request) {
    return v.parse(ChatRetryRequestSchema, { conversation_id: request.conversationId, retry_of_message_id: request.retryOfMessageId });
  }
  return v.parse(ChatRequestSchema, {
    message: request.message,
    ...(request.conversationId !== null ? { conversation_id: request.conversationId } : {}),
  });
}

/** Maps a raw SSE event to a typed one (shared/origin.ts); `null` for event names this client does not know yet. */
function toChatStreamEvent(event: string, data: string): ChatStreamEvent | null {
  try {
    return parseChatStreamEvent(event, data);
  } catch (error) {
    if (!(error instanceof ChatStreamEventError)) throw error;
    throw new ContractError(
      error.fault === 'not_json' ? `The "${error.eventName}" event did not carry JSON.` : `Malformed "${error.eventName}" event: ${error.issues}`,
    );
  }
}

/**
 * Sends one chat turn and yields the answer as it streams (`start`, `tool`*, `delta`*, then
 * `done` or `error`). A server that answers plain JSON instead still works: its reply becomes a
 * single `done`. HTTP errors throw an ApiError before anything is yielded.
 */
export async function* fetchChatTurnEvents(authFetch: AuthFetch, request: ChatTurnRequest, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
  const body = requestBody(request);
  const response = await authFetch('/api/v1/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await readApiError(response);

  const isEventStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
  if (!isEventStream || !response.body) {
    yield { name: 'done', data: await readJson(response, ChatReplySchema) };
    return;
  }
  for await (const { event, data } of readServerSentEvents(response.body)) {
    const chatEvent = toChatStreamEvent(event, data);
    if (chatEvent) yield chatEvent;
  }
}
