/**
 * `POST /api/v1/chat`: stores the user's message, runs the assistant (whose tools change the task
 * list) and stores its answer. JSON by default; with `Accept: text/event-stream` the same answer
 * streams as `start`, `tool`*, `delta`*, then `done` (or `error`).
 */
import { Hono } from 'hono';
import { runAssistant, splitIntoDeltas, type ToolCall } from '../assistant';
import type { OriginEnv } from '../env';
import { clientGoneSignal, errorResponse, readJsonObject, requireUser } from '../http';
import { sseResponse } from '../sse';
import type { OriginStore } from '../store';

export const MAX_MESSAGE_LENGTH = 4000;
export const CONVERSATION_TITLE_LENGTH = 60;

export interface ChatReply {
  conversation_id: number;
  /** The assistant message's id. */
  message_id: number;
  user_message_id: number;
  response: string;
  tool_calls: ToolCall[];
  title: string;
}

export interface ChatRouteOptions {
  /** Delay between two `delta` events, so streaming is observable (and testable). */
  chunkDelayMs: number;
}

interface ChatRequest {
  message: string;
  conversationId: number | undefined;
}

/** Validates `{"message": string (1..4000 chars), "conversation_id"?: positive integer}`. */
function parseChatRequest(body: Record<string, unknown>): ChatRequest | string {
  const { message, conversation_id: conversationId } = body;
  if (typeof message !== 'string' || message.trim() === '') return '"message" must be a non-empty string.';
  if (message.length > MAX_MESSAGE_LENGTH) return `"message" must be at most ${MAX_MESSAGE_LENGTH} characters.`;
  if (conversationId === undefined || conversationId === null) return { message: message.trim(), conversationId: undefined };
  if (typeof conversationId !== 'number' || !Number.isSafeInteger(conversationId) || conversationId < 1) {
    return '"conversation_id" must be a positive integer.';
  }
  return { message: message.trim(), conversationId };
}

/** A new conversation is named after its first message, like most chat products do. */
export function titleFromMessage(message: string): string {
  return message.replace(/\s+/g, ' ').trim().slice(0, CONVERSATION_TITLE_LENGTH).trim();
}

function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('text/event-stream');
}

export function createChatRoutes(store: OriginStore, options: ChatRouteOptions): Hono<OriginEnv> {
  const chat = new Hono<OriginEnv>();
  chat.use('*', requireUser);

  chat.post('/', async (c) => {
    const userId = c.get('userId');
    const body = await readJsonObject(c);
    if (!body) return errorResponse(c, 400, 'bad_request', 'Expected a JSON object body.');
    const request = parseChatRequest(body);
    if (typeof request === 'string') return errorResponse(c, 400, 'bad_request', request);

    // Resolved before any stream starts, so an unknown (or foreign) conversation is a plain 404.
    const conversation =
      request.conversationId === undefined
        ? store.createConversation(userId, titleFromMessage(request.message))
        : store.getConversation(userId, request.conversationId);
    if (!conversation) return errorResponse(c, 404, 'not_found', 'Conversation not found.');

    const userMessage = store.addMessage(userId, conversation.id, 'user', request.message);
    if (!userMessage) return errorResponse(c, 404, 'not_found', 'Conversation not found.');
    const tools = store.taskToolsFor(userId);

    /** Stores the answer and builds the reply; the user message stays stored either way. */
    const finish = (response: string, toolCalls: ToolCall[]): ChatReply => {
      const assistantMessage = store.addMessage(userId, conversation.id, 'assistant', response);
      return {
        conversation_id: conversation.id,
        message_id: assistantMessage?.id ?? 0,
        user_message_id: userMessage.id,
        response,
        tool_calls: toolCalls,
        title: conversation.title,
      };
    };

    if (!wantsEventStream(c.req.header('accept'))) {
      const outcome = runAssistant(request.message, tools);
      if (!outcome.ok) return errorResponse(c, 500, 'assistant_error', outcome.error);
      return c.json(finish(outcome.response, outcome.toolCalls));
    }

    return sseResponse(async (sse) => {
      sse.send('start', { conversation_id: conversation.id, user_message_id: userMessage.id, title: conversation.title });
      const outcome = runAssistant(request.message, tools, (call) => sse.send('tool', call));
      if (!outcome.ok) {
        sse.send('delta', { text: outcome.partialResponse });
        await sse.pause(options.chunkDelayMs);
        sse.send('error', { message: outcome.error });
        return;
      }
      // Stored before streaming: the tools have already acted, so the history must show the
      // answer even if the client leaves halfway through the deltas.
      const reply = finish(outcome.response, outcome.toolCalls);
      const deltas = splitIntoDeltas(outcome.response);
      for (const [index, text] of deltas.entries()) {
        if (index > 0 && !(await sse.pause(options.chunkDelayMs))) return;
        sse.send('delta', { text });
      }
      sse.send('done', reply);
    }, clientGoneSignal(c));
  });

  return chat;
}
