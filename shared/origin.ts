import * as v from 'valibot';

/**
 * The origin backend's own contract (`/api/v1`), as the worker's ChatKit adapter, the SPA's
 * legacy chat and the tests read it. Lenient objects: the origin may add fields.
 */

export const IsoTimeSchema = v.pipe(v.string(), v.isoTimestamp());

/** The origin's limit on one message, in characters. */
export const MAX_MESSAGE_LENGTH = 4000;

const characterCount = new Intl.NumberFormat('en-US');

/** Why a message over the limit is refused, in the words both chats show. */
export function tooLongMessage(length: number): string {
  return `Messages can be at most ${characterCount.format(MAX_MESSAGE_LENGTH)} characters; this one has ${characterCount.format(length)}. Please shorten it and send it again.`;
}

export const ChatRequestSchema = v.object({
  message: v.pipe(v.string(), v.trim(), v.minLength(1, 'message must not be empty'), v.maxLength(MAX_MESSAGE_LENGTH, 'message is too long')),
  conversation_id: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
export type ChatRequest = v.InferOutput<typeof ChatRequestSchema>;

/** Answer a stored user message again: the origin drops what followed it and answers anew. */
export const ChatRetryRequestSchema = v.object({
  conversation_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  retry_of_message_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
export type ChatRetryRequest = v.InferOutput<typeof ChatRetryRequestSchema>;

export const ToolCallSchema = v.looseObject({
  name: v.string(),
  arguments: v.optional(v.record(v.string(), v.unknown()), {}),
  result: v.optional(v.unknown()),
});
export type ToolCall = v.InferOutput<typeof ToolCallSchema>;

export const ChatReplySchema = v.looseObject({
  conversation_id: v.number(),
  message_id: v.number(),
  user_message_id: v.optional(v.number()),
  response: v.string(),
  tool_calls: v.optional(v.array(ToolCallSchema), []),
  title: v.optional(v.nullable(v.string())),
});
export type ChatReply = v.InferOutput<typeof ChatReplySchema>;

/** SSE events of `POST /api/v1/chat` with `Accept: text/event-stream`, keyed by event name. */
export const ChatStreamEventSchemas = {
  start: v.looseObject({
    conversation_id: v.number(),
    user_message_id: v.optional(v.number()),
    /** The id the answer will be stored under (older origins leave it out). */
    assistant_message_id: v.optional(v.number()),
    title: v.optional(v.nullable(v.string())),
  }),
  tool: ToolCallSchema,
  delta: v.looseObject({ text: v.string() }),
  done: ChatReplySchema,
  error: v.looseObject({ message: v.optional(v.string(), 'The assistant failed.') }),
} as const;
export type ChatStreamEventName = keyof typeof ChatStreamEventSchemas;

/** One validated event of the origin's chat stream, discriminated on its SSE event `name`. */
export type ChatStreamEvent = {
  [Name in ChatStreamEventName]: { name: Name; data: v.InferOutput<(typeof ChatStreamEventSchemas)[Name]> };
}[ChatStreamEventName];

/** An event of a known name broke the contract: its data is not JSON, or not of its schema's shape. */
export class ChatStreamEventError extends Error {
  constructor(
    readonly eventName: ChatStreamEventName,
    readonly fault: 'not_json' | 'wrong_shape',
    /** valibot's summary of what is wrong (`wrong_shape` only). */
    readonly issues = '',
  ) {
    super(fault === 'not_json' ? `the "${eventName}" event is not JSON` : `the "${eventName}" event has an unexpected shape: ${issues}`);
    this.name = 'ChatStreamEventError';
  }
}

/**
 * The one reader of the origin's chat events, for the worker's ChatKit adapter and the SPA's
 * legacy chat: `null` for an event name this contract does not know (a newer origin may add
 * some), the validated event otherwise; throws ChatStreamEventError on a broken one.
 */
export function parseChatStreamEvent(event: string, data: string): ChatStreamEvent | null {
  if (!Object.hasOwn(ChatStreamEventSchemas, event)) return null;
  const name = event as ChatStreamEventName;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new ChatStreamEventError(name, 'not_json');
  }
  const result = v.safeParse(ChatStreamEventSchemas[name], json);
  if (!result.success) throw new ChatStreamEventError(name, 'wrong_shape', v.summarize(result.issues));
  return { name, data: result.output } as ChatStreamEvent;
}

export const ConversationSchema = v.looseObject({
  id: v.number(),
  title: v.nullable(v.string()),
  created_at: v.string(),
  updated_at: v.string(),
});
export type Conversation = v.InferOutput<typeof ConversationSchema>;

export const MessageSchema = v.looseObject({
  id: v.number(),
  role: v.picklist(['user', 'assistant']),
  content: v.string(),
  created_at: v.string(),
  /** Assistant messages: the tool calls that answer made (absent from origins that do not keep them). */
  tool_calls: v.optional(v.array(ToolCallSchema), []),
  /** The answer was cut short (the user stopped it); `content` is what had been written. */
  interrupted: v.optional(v.boolean(), false),
});
export type Message = v.InferOutput<typeof MessageSchema>;

export const ConversationListSchema = v.array(ConversationSchema);
export const ConversationDetailSchema = v.looseObject({
  ...ConversationSchema.entries,
  messages: v.array(MessageSchema),
});
export type ConversationDetail = v.InferOutput<typeof ConversationDetailSchema>;

export const ConversationUpdateSchema = v.object({
  title: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200)),
});

export const TaskSchema = v.looseObject({
  id: v.number(),
  title: v.string(),
  completed: v.boolean(),
  created_at: v.string(),
  updated_at: v.string(),
});
export type Task = v.InferOutput<typeof TaskSchema>;
export const TaskListSchema = v.array(TaskSchema);
