import type { ChatReply, Message } from '../../../../shared/origin';
import { affectedTasks, type AffectedTask } from '../../../../shared/tool-call-tasks';

export interface ChatMessageView {
  key: string;
  role: 'user' | 'assistant';
  content: string;
  /** The assistant is still writing this message. */
  streaming: boolean;
  /** Names of the task tools the assistant used for this answer. */
  tools: string[];
  /** The tasks those tools touched (issue 18: listed under the answer, see TaskList.tsx). */
  tasks: AffectedTask[];
  /** The user stopped this answer; `content` is what had been written. */
  interrupted: boolean;
  /** The origin's id, once known (user messages: from `start`). */
  serverId: number | null;
}

export interface ChatFailure {
  message: string;
  /** The user's text, to send again on Retry when the server never stored it. */
  retryText: string;
  /** The stored question (`start` arrived): Retry asks the origin to answer it again. */
  retryOfMessageId: number | null;
}

export interface ChatThreadState {
  /** `null` for a new chat that the server has not numbered yet. */
  conversationId: number | null;
  messages: ChatMessageView[];
  /** Loading an existing conversation's messages. */
  loading: boolean;
  loadError: string | null;
  /** The conversation does not exist for this user (missing, deleted or someone else's). */
  notFound: boolean;
  sending: boolean;
  failure: ChatFailure | null;
  /** The last finished assistant answer, for the polite live region. */
  announcement: string;
}

export type ChatThreadAction =
  | { type: 'new-chat' }
  | { type: 'load-started'; conversationId: number }
  | { type: 'load-succeeded'; conversationId: number; messages: readonly Message[] }
  | { type: 'load-failed'; message: string; notFound?: boolean }
  /** `retry`: the question is already on screen (and stored), only a new answer is coming. */
  | { type: 'send-started'; text: string; turnId: string; retry?: boolean }
  | { type: 'stream-started'; conversationId: number; userMessageId: number | null }
  | { type: 'tool-used'; name: string }
  | { type: 'delta-received'; text: string }
  | { type: 'answer-finished'; reply: ChatReply }
  | { type: 'answer-failed'; failure: ChatFailure }
  | { type: 'answer-stopped' }
  | { type: 'retry-started'; keepQuestion: boolean };

export const initialChatThreadState: ChatThreadState = {
  conversationId: null,
  messages: [],
  loading: false,
  loadError: null,
  notFound: false,
  sending: false,
  failure: null,
  announcement: '',
};

function fromServer(message: Message): ChatMessageView {
  return {
    key: `m${message.id}`,
    role: message.role,
    content: message.content,
    streaming: false,
    tools: message.tool_calls.map((call) => call.name),
    tasks: affectedTasks(message.tool_calls),
    interrupted: message.interrupted,
    serverId: message.id,
  };
}

function localMessage(key: string, role: ChatMessageView['role'], content: string, streaming: boolean): ChatMessageView {
  return { key, role, content, streaming, tools: [], tasks: [], interrupted: false, serverId: null };
}

/** Applies `update` to the assistant message being streamed (always the last one while sending). */
function updateStreaming(state: ChatThreadState, update: (message: ChatMessageView) => ChatMessageView): ChatThreadState {
  const last = state.messages.at(-1);
  if (!last || last.role !== 'assistant' || !last.streaming) return state;
  return { ...state, messages: [...state.messages.slice(0, -1), update(last)] };
}

/** Ends the streaming answer: kept (marked finished, and `interrupted` if stopped) when it has text, else dropped. */
function endStreaming(state: ChatThreadState, interrupted: boolean): ChatMessageView[] {
  const last = state.messages.at(-1);
  if (last?.role !== 'assistant' || !last.streaming) return state.messages;
  if (!last.content && !(interrupted && last.tools.length > 0)) return state.messages.slice(0, -1);
  return [...state.messages.slice(0, -1), { ...last, streaming: false, interrupted }];
}

export function chatThreadReducer(state: ChatThreadState, action: ChatThreadAction): ChatThreadState {
  switch (action.type) {
    case 'new-chat':
      return initialChatThreadState;
    case 'load-started':
      return { ...initialChatThreadState, conversationId: action.conversationId, loading: true };
    case 'load-succeeded':
      if (action.conversationId !== state.conversationId) return state;
      return { ...state, loading: false, loadError: null, notFound: false, messages: action.messages.map(fromServer) };
    case 'load-failed':
      return { ...state, loading: false, loadError: action.message, notFound: action.notFound ?? false };
    case 'send-started':
      return {
        ...state,
        sending: true,
        failure: null,
        messages: [
          ...state.messages,
          ...(action.retry ? [] : [localMessage(`${action.turnId}-user`, 'user', action.text, false)]),
          localMessage(`${action.turnId}-assistant`, 'assistant', '', true),
        ],
      };
    case 'stream-started': {
      // The question is stored now: remember its id (a retry names it).
      const { userMessageId } = action;
      const lastUser = state.messages.findLastIndex((message) => message.role === 'user');
      const messages =
        userMessageId === null || lastUser === -1
          ? state.messages
          : state.messages.map((message, index) => (index === lastUser ? { ...message, serverId: userMessageId } : message));
      return { ...state, conversationId: action.conversationId, messages };
    }
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
        serverId: reply.message_id,
        tools: reply.tool_calls.length > 0 ? reply.tool_calls.map((call) => call.name) : message.tools,
        tasks: affectedTasks(reply.tool_calls),
      }));
      return { ...finished, conversationId: reply.conversation_id, sending: false, announcement: reply.response };
    }
    case 'answer-failed':
      // Keep a partial answer (marked finished) so people see how far it got; drop an empty one.
      return { ...state, messages: endStreaming(state, false), sending: false, failure: action.failure };
    case 'answer-stopped':
      return { ...state, messages: endStreaming(state, true), sending: false };
    case 'retry-started': {
      // With the question stored, only what followed it goes (the origin drops it too); otherwise
      // the failed turn is sent again as a new turn, so the question goes as well.
      const lastUser = state.messages.findLastIndex((message) => message.role === 'user');
      if (lastUser === -1) return { ...state, failure: null };
      return { ...state, failure: null, messages: state.messages.slice(0, action.keepQuestion ? lastUser + 1 : lastUser) };
    }
  }
}
