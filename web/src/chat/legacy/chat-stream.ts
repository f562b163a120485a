import * as v from 'valibot';
import { ContractError, readApiError, readJson } from '../../api/api-error';
import type { AuthFetch } from '../../auth/auth-fetch';
import { ChatReplySchema, ChatRequestSchema, ChatRetryRequestSchema, ChatStreamEventSchemas } from '../../../../shared/origin';
import { readServerSentEvents } from '../../../../shared/sse';

type Schemas = typeof ChatStreamEventSchemas;

/** One validated event of `POST /api/v1/chat` (SSE), discriminated on `type`. */
export type ChatStreamEvent = {
  [Name in keyof Schemas]: { type: Name; data: v.InferOutput<Schemas[Name]> };
}[keyof Schemas];

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

function parseJson(text: string, eventName: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ContractError(`The "${eventName}" event did not carry JSON.`);
  }
}

function validated<Name extends keyof Schemas>(name: Name, json: unknown): v.InferOutput<Schemas[Name]> {
  const parsed = v.safeParse(ChatStreamEventSchemas[name], json);
  if (!parsed.success) throw new ContractError(`Malformed "${name}" event: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}

/** Maps a raw SSE event to a typed one; `null` for event names this client does not know yet. */
function toChatStreamEvent(event: string, data: string): ChatStreamEvent | null {
  switch (event) {
    case 'start':
      return { type: 'start', data: validated('start', parseJson(data, event)) };
    case 'tool':
      return { type: 'tool', data: validated('tool', parseJson(data, event)) };
    case 'delta':
      return { type: 'delta', data: validated('delta', parseJson(data, event)) };
    case 'done':
      return { type: 'done', data: validated('done', parseJson(data, event)) };
    case 'error':
      return { type: 'error', data: validated('error', parseJson(data, event)) };
    default:
      return null;
  }
}

/**
 * Sends one chat turn and yields the answer as it streams (`start`, `tool`*, `delta`*, then
 * `done` or `error`). A server that answers plain JSON instead still works: its reply becomes a
 * single `done`. HTTP errors throw an ApiError before anything is yielded.
 */
export async function* streamChatTurn(
  authFetch: AuthFetch,
  request: ChatTurnRequest,
  signal?: AbortSignal,
): AsyncGenerator<ChatStreamEvent> {
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
    yield { type: 'done', data: await readJson(response, ChatReplySchema) };
    return;
  }
  for await (const { event, data } of readServerSentEvents(response.body)) {
    const chatEvent = toChatStreamEvent(event, data);
    if (chatEvent) yield chatEvent;
  }
}
