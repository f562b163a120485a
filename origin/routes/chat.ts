/**
 * `POST /api/v1/chat`: stores the user's message, runs the assistant (whose tools change the task
 * list) and stores its answer with the tool calls it made. JSON by default; with `Accept:
 * text/event-stream` the same answer streams as `start`, `tool`*, `delta`*, then `done` (or
 * `error`). `retry_of_message_id` answers a stored question again; a client that leaves mid-answer
 * leaves the partial answer stored, marked `interrupted`.
 */
import { Hono } from 'hono';
import { MAX_MESSAGE_LENGTH } from '../../shared/origin';
import { runAssistant, splitIntoDeltas, type ToolCall } from '../assistant';
import type { OriginEnv } from '../env';
import { clientGoneSignal, errorResponse, readJsonObject, requireUser } from '../http';
import { sseResponse } from '../sse';
import type { Message, OriginStore } from '../store';

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

type ChatRequest =
  | { kind: 'message'; message: string; conversationId: number | undefined }
  /** Answer a stored user message again, dropping whatever followed it. */
  | { kind: 'retry'; conversationId: number; retryOfMessageId: number };

function positiveId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/**
 * Validates `{"message": string (1..4000 chars), "conversation_id"?: positive integer}` or, for a
 * retry, `{"conversation_id", "retry_of_message_id"}` (no message: the stored one is answered).
 */
function parseChatRequest(body: Record<string, unknown>): ChatRequest | string {
  const { message, conversation_id: conversationId, retry_of_message_id: retryOf } = body;
  if (conversationId !== undefined && conversationId !== null && !positiveId(conversationId)) {
    return '"conversation_id" must be a positive integer.';
  }
  if (retryOf !== undefined && retryOf !== null) {
    if (!positiveId(retryOf)) return '"retry_of_message_id" must be a positive integer.';
    if (!positiveId(conversationId)) return '"retry_of_message_id" needs the "conversation_id" it belongs to.';
    if (message !== undefined) return 'Send either "message" or "retry_of_message_id", not both.';
    return { kind: 'retry', conversationId, retryOfMessageId: retryOf };
  }
  if (typeof message !== 'string' || message.trim() === '') return '"message" must be a non-empty string.';
  if (message.length > MAX_MESSAGE_LENGTH) return `"message" must be at most ${MAX_MESSAGE_LENGTH} characters.`;
  return { kind: 'message', message: message.trim(), conversationId: positiveId(conversationId) ? conversationId : undefined };
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
        ? store.createConversation(userId, titleFromMessage(request.kind === 'message' ? request.message : ''))
        : store.getConversation(userId, request.conversationId);
    if (!conversation) return errorResponse(c, 404, 'not_found', 'Conversation not found.');

    let userMessage: Message | undefined;
    if (request.kind === 'retry') {
      userMessage = store.getMessage(userId, conversation.id, request.retryOfMessageId);
      if (!userMessage) return errorResponse(c, 404, 'not_found', 'Message not found.');
      if (userMessage.role !== 'user') return errorResponse(c, 400, 'bad_request', '"retry_of_message_id" must name a user message.');
      // A retry replaces the answer: whatever followed the question goes, the question stays once.
      store.deleteMessagesAfter(userId, conversation.id, userMessage.id);
    } else {
      userMessage = store.addMessage(userId, conversation.id, { role: 'user', content: request.message });
    }
    if (!userMessage) return errorResponse(c, 404, 'not_found', 'Conversation not found.');
    const question = userMessage;
    const tools = store.taskToolsFor(userId);
    // The answer's id is taken now and announced in `start`, though the answer is stored only when
    // it is complete (or cut short): clients name the answer by it from the first event on.
    const assistantMessageId = store.reserveMessageId();

    /** Stores the answer and builds the reply; the user message stays stored either way. */
    const finish = (response: string, toolCalls: ToolCall[]): ChatReply => {
      store.addMessage(userId, conversation.id, { id: assistantMessageId, role: 'assistant', content: response, tool_calls: toolCalls });
      return {
        conversation_id: conversation.id,
        message_id: assistantMessageId,
        user_message_id: question.id,
        response,
        tool_calls: toolCalls,
        title: conversation.title,
      };
    };

    if (!wantsEventStream(c.req.header('accept'))) {
      const outcome = runAssistant(question.content, tools);
      if (!outcome.ok) return errorResponse(c, 500, 'assistant_error', outcome.error);
      return c.json(finish(outcome.response, outcome.toolCalls));
    }

    return sseResponse(async (sse) => {
      sse.send('start', {
        conversation_id: conversation.id,
        user_message_id: question.id,
        assistant_message_id: assistantMessageId,
        title: conversation.title,
      });
      const outcome = runAssistant(question.content, tools, (call) => sse.send('tool', call));
      if (!outcome.ok) {
        sse.send('delta', { text: outcome.partialResponse });
        await sse.pause(options.chunkDelayMs);
        sse.send('error', { message: outcome.error });
        return;
      }
      let sent = '';
      for (const [index, text] of splitIntoDeltas(outcome.response).entries()) {
        if (index > 0 && !(await sse.pause(options.chunkDelayMs))) {
          // The client left (a user pressed stop): keep what they saw, and the tool calls that
          // already changed their tasks, marked interrupted.
          store.addMessage(userId, conversation.id, {
            id: assistantMessageId,
            role: 'assistant',
            content: sent,
            tool_calls: outcome.toolCalls,
            interrupted: true,
          });
          return;
        }
        sse.send('delta', { text });
        sent += text;
      }
      sse.send('done', finish(outcome.response, outcome.toolCalls));
    }, clientGoneSignal(c));
  });

  return chat;
}
