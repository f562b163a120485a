import type { ChatReply, Message } from '../../../../shared/origin';

export interface ChatMessageView {
  key: string;
  role: 'user' | 'assistant';
  content: string;
  /** The assistant is still writing this message. */
  streaming: boolean;
  /** Names of the task tools the assistant used for this answer. */
  tools: string[];
}

export interface ChatFailure {
  message: string;
  /** The user's text, to send again on Retry. */
  retryText: string;
}

export interface ChatThreadState {
  /** `null` for a new chat that the server has not numbered yet. */
  conversationId: number | null;
  messages: ChatMessageView[];
  /** Loading an existing conversation's messages. */
  loading: boolean;
  loadError: string | null;
  sending: boolean;
  failure: ChatFailure | null;
  /** The last finished assistant answer, for the polite live region. */
  announcement: string;
}

export type ChatThreadAction =
  | { type: 'new-chat' }
  | { type: 'load-started'; conversationId: number }
  | { type: 'load-succeeded'; conversationId: number; messages: readonly Message[] }
  | { type: 'load-failed'; message: string }
  | { type: 'send-started'; text: string; turnId: string }
  | { type: 'stream-started'; conversationId: number }
  | { type: 'tool-used'; name: string }
  | { type: 'delta-received'; text: string }
  | { type: 'answer-finished'; reply: ChatReply }
  | { type: 'answer-failed'; failure: ChatFailure }
  | { type: 'retry-started' };

export const initialChatThreadState: ChatThreadState = {
  conversationId: null,
  messages: [],
  loading: false,
  loadError: null,
  sending: false,
  failure: null,
  announcement: '',
};

function fromServer(message: Message): ChatMessageView {
  return { key: `m${message.id}`, role: message.role, content: message.content, streaming: false, tools: [] };
}

/** Applies `update` to the assistant message being streamed (always the last one while sending). */
function updateStreaming(state: ChatThreadState, update: (message: ChatMessageView) => ChatMessageView): ChatThreadState {
  const last = state.messages.at(-1);
  if (!last || last.role !== 'assistant' || !last.streaming) return state;
  return { ...state, messages: [...state.messages.slice(0, -1), update(last)] };
}

export function chatThreadReducer(state: ChatThreadState, action: ChatThreadAction): ChatThreadState {
  switch (action.type) {
    case 'new-chat':
      return initialChatThreadState;
    case 'load-started':
      return { ...initialChatThreadState, conversationId: action.conversationId, loading: true };
    case 'load-succeeded':
      if (action.conversationId !== state.conversationId) return state;
      return { ...state, loading: false, loadError: null, messages: action.messages.map(fromServer) };
    case 'load-failed':
      return { ...state, loading: false, loadError: action.message };
    case 'send-started':
      return {
        ...state,
        sending: true,
        failure: null,
        messages: [
          ...state.messages,
          { key: `${action.turnId}-user`, role: 'user', content: action.text, streaming: false, tools: [] },
          { key: `${action.turnId}-assistant`, role: 'assistant', content: '', streaming: true, tools: [] },
        ],
      };
    case 'stream-started':
      return { ...state, conversationId: action.conversationId };
    case 'tool-used':
      return updateStreaming(state, (message) => ({ ...message, tools: [...message.tools, action.name] }));
    case 'delta-received':
      return updateStreaming(state, (message) => ({ ...message, content: message.content + action.text }));
    case 'answer-finished': {
      const { reply } = action;
      // The final reply is authoritative: it replaces whatever the deltas assembled.
      const finished = updateStreaming(state, (message) => ({
        ...message,
        content: reply.response,
        streaming: false,
        tools: reply.tool_calls.length > 0 ? reply.tool_calls.map((call) => call.name) : message.tools,
      }));
      return { ...finished, conversationId: reply.conversation_id, sending: false, announcement: reply.response };
    }
    case 'answer-failed': {
      // Keep a partial answer (marked finished) so people see how far it got; drop an empty one.
      const last = state.messages.at(-1);
      const messages =
        last?.role === 'assistant' && last.streaming
          ? last.content
            ? [...state.messages.slice(0, -1), { ...last, streaming: false }]
            : state.messages.slice(0, -1)
          : state.messages;
      return { ...state, messages, sending: false, failure: action.failure };
    }
    case 'retry-started': {
      // The failed turn is sent again as a new turn, so remove it (user message and any partial answer).
      const lastUser = state.messages.findLastIndex((message) => message.role === 'user');
      return { ...state, failure: null, messages: lastUser === -1 ? state.messages : state.messages.slice(0, lastUser) };
    }
  }
}
