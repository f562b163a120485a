import { useCallback, useEffect, useRef } from 'react';
import { reportChatReady } from '../../telemetry/telemetry-client';
import { useTaskRefresh } from '../../tasks/task-refresh';
import { ChatSkeleton } from '../../ui/Skeleton';
import { ChatArea } from './ChatArea';
import { ChatInput } from './ChatInput';
import { ChatSidebar } from './ChatSidebar';
import { MessageList } from './MessageList';
import { useChatThread } from './use-chat-thread';
import { useConversationList } from './use-conversation-list';
import { WelcomeMessage } from './WelcomeMessage';
import { InlineError } from '../../ui/InlineError';

/**
 * The chat that talks to the origin's `/api/v1` directly: the safe default, the rollback target and
 * the fallback when ChatKit cannot load. `notice` explains a fallback, politely and once.
 * A lazy chunk (see App.tsx).
 */
export default function LegacyChatPage({ notice = null }: { notice?: string | null }) {
  const conversations = useConversationList();
  const refreshTasks = useTaskRefresh();
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const { reload: reloadConversations } = conversations;

  const thread = useChatThread({
    onConversationStarted: reloadConversations,
    onTurnFinished: useCallback(() => {
      reloadConversations();
      refreshTasks();
    }, [reloadConversations, refreshTasks]),
  });
  const { state } = thread;
  // Rollout signal: time from navigation to a usable chat input.
  useEffect(() => reportChatReady('legacy'), []);

  const focusComposer = () => inputRef.current?.focus();

  function startNewChat() {
    thread.startNewChat();
    focusComposer();
  }

  function openConversation(conversationId: number) {
    if (conversationId !== state.conversationId || state.loadError) thread.openConversation(conversationId);
  }

  async function deleteConversation(conversationId: number) {
    await conversations.remove(conversationId);
    if (conversationId === state.conversationId) thread.startNewChat();
  }

  const failedConversationId = state.loadError ? state.conversationId : null;
  const showWelcome = !state.loading && !state.loadError && state.messages.length === 0;

  return (
    <ChatArea
      sidebar={
        <ChatSidebar
          conversations={conversations.data}
          loading={conversations.loading}
          error={conversations.error}
          activeConversationId={state.conversationId}
          onSelect={openConversation}
          onNewChat={startNewChat}
          onDelete={deleteConversation}
          onReload={conversations.reload}
        />
      }
    >
      {notice && (
        <p className="notice notice--compact" role="status" data-testid="chat-fallback-notice">
          {notice}
        </p>
      )}
      {state.loading && <ChatSkeleton label="Loading conversation…" />}
      {state.loadError && (
        <InlineError
          variant="center"
          testId="conversation-error"
          onRetry={failedConversationId !== null ? () => thread.openConversation(failedConversationId) : undefined}
        >
          Couldn't open this conversation. {state.loadError}
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
      <ChatInput onSend={thread.send} sending={state.sending} inputRef={inputRef} />
      <div className="visually-hidden" aria-live="polite" data-testid="assistant-announcer">
        {state.announcement}
      </div>
    </ChatArea>
  );
}
