import { useCallback, useEffect, useRef } from 'react';
import type { ChatHandoff } from '../../flags/chat-decision';
import { reportChatReady } from '../../telemetry/telemetry-client';
import { useTaskRefresh } from '../../tasks/task-refresh';
import { ChatSkeleton } from '../../ui/Skeleton';
import { useChatRoute } from '../chat-route';
import { ChatArea } from './ChatArea';
import { ChatInput } from './ChatInput';
import { ChatSidebar } from './ChatSidebar';
import { MessageList } from './MessageList';
import { useChatThread } from './use-chat-thread';
import { useConversationList } from './use-conversation-list';
import { WelcomeMessage } from './WelcomeMessage';
import { InlineError } from '../../ui/InlineError';

export interface LegacyChatPageProps {
  /** Why this user is here instead of ChatKit (a fallback), politely and once; dismissible. */
  notice?: string | null;
  onDismissNotice?: () => void;
  /** ChatKit stepped aside mid-session: open its conversation and send the message it could not. */
  handoff?: ChatHandoff | null;
}

/**
 * The chat that talks to the origin's `/api/v1` directly: the safe default, the rollback target and
 * the fallback when ChatKit cannot load. The open conversation is the URL's (`/chat/<id>`).
 * A lazy chunk (see App.tsx).
 */
export default function LegacyChatPage({ notice = null, onDismissNotice, handoff = null }: LegacyChatPageProps) {
  const conversations = useConversationList();
  const refreshTasks = useTaskRefresh();
  const route = useChatRoute();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const { reload: reloadConversations } = conversations;
  const { navigate } = route;

  const thread = useChatThread({
    onConversationStarted: useCallback(
      (conversationId: number) => {
        reloadConversations();
        navigate(conversationId, 'replace');
      },
      [reloadConversations, navigate],
    ),
    onTurnFinished: useCallback(() => {
      reloadConversations();
      refreshTasks();
    }, [reloadConversations, refreshTasks]),
  });
  const { state } = thread;
  // Rollout signal: time from navigation to a usable chat input.
  useEffect(() => reportChatReady('legacy'), []);

  // A handoff names the conversation ChatKit had open; it wins over whatever the URL says.
  const [handoffTarget] = useStateOnce(() => (handoff ? handoff.conversationId : undefined));
  useEffect(() => {
    if (handoffTarget !== undefined) navigate(handoffTarget, 'replace');
  }, [handoffTarget, navigate]);

  // The URL decides which conversation is open: on load, on a sidebar click, on Back/Forward.
  const { openConversation, startNewChat: resetThread } = thread;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a change of the URL opens something (below)
  useEffect(() => {
    if (route.conversationId === state.conversationId) return;
    if (route.conversationId === null) resetThread();
    else openConversation(route.conversationId);
    // Only a change of the URL opens something; the thread numbering a new chat updates the URL.
  }, [route.conversationId]);

  // The message ChatKit could not send goes out here, once, when its conversation is open.
  const handedOver = useRef(false);
  const { send } = thread;
  useEffect(() => {
    const pending = handoff?.pendingMessage;
    if (!pending || handedOver.current) return;
    const target = handoff.conversationId;
    if (route.conversationId !== target || state.conversationId !== target || state.loading || state.loadError) return;
    handedOver.current = true;
    send(pending);
  }, [handoff, route.conversationId, state.conversationId, state.loading, state.loadError, send]);

  const focusComposer = () => inputRef.current?.focus();

  function startNewChat() {
    navigate(null);
    thread.startNewChat();
    focusComposer();
  }

  function openFromSidebar(conversationId: number) {
    if (conversationId !== state.conversationId) navigate(conversationId);
    else if (state.loadError) thread.openConversation(conversationId);
  }

  async function deleteConversation(conversationId: number) {
    await conversations.remove(conversationId);
    if (conversationId === state.conversationId) startNewChat();
  }

  const failedConversationId = state.loadError && !state.notFound ? state.conversationId : null;
  const showWelcome = !state.loading && !state.loadError && state.messages.length === 0;

  return (
    <ChatArea
      sidebar={
        <ChatSidebar
          conversations={conversations.data}
          loading={conversations.loading}
          error={conversations.error}
          activeConversationId={state.conversationId}
          onSelect={openFromSidebar}
          onNewChat={startNewChat}
          onDelete={deleteConversation}
          onRename={conversations.rename}
          onReload={conversations.reload}
        />
      }
    >
      {notice && (
        <div className="notice notice--compact notice--dismissible" role="status" data-testid="chat-fallback-notice">
          <p>{notice}</p>
          {onDismissNotice && (
            <button className="icon-button" type="button" onClick={onDismissNotice} aria-label="Dismiss this notice" data-testid="dismiss-notice">
              ×
            </button>
          )}
        </div>
      )}
      {state.loading && <ChatSkeleton label="Loading conversation…" />}
      {state.loadError && (
        <InlineError
          variant="center"
          testId={state.notFound ? 'conversation-not-found' : 'conversation-error'}
          onRetry={failedConversationId !== null ? () => thread.openConversation(failedConversationId) : undefined}
        >
          {state.notFound ? state.loadError : `Couldn't open this conversation. ${state.loadError}`}
        </InlineError>
      )}
      {showWelcome && (
        <WelcomeMessage
          onPick={(prompt) => {
            thread.send(prompt);
            focusComposer();
          }}
          disabled={state.sending}
        />
      )}
      {!state.loading && state.messages.length > 0 && (
        <MessageList messages={state.messages} failure={state.failure} canRetry={!state.sending} onRetry={thread.retry} />
      )}
      <ChatInput onSend={thread.send} onStop={thread.stop} sending={state.sending} inputRef={inputRef} />
      <div className="visually-hidden" aria-live="polite" data-testid="assistant-announcer">
        {state.announcement}
      </div>
    </ChatArea>
  );
}

/** A value computed on the first render and kept. */
function useStateOnce<T>(init: () => T): [T] {
  const ref = useRef<{ value: T } | null>(null);
  ref.current ??= { value: init() };
  return [ref.current.value];
}
