import { ChatKit, useChatKit } from '@openai/chatkit-react';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/api-error';
import { useAuthFetch } from '../../auth/auth-context';
import type { ChatkitConfig, ChatkitUnavailable } from '../../flags/chat-decision';
import { useTaskRefresh } from '../../tasks/task-refresh';
import { ChatSkeleton } from '../../ui/Skeleton';
import { parseThreadId, threadIdFor } from '../../../../shared/chatkit';
import { CONVERSATION_NOT_FOUND_TEXT } from '../chat-copy';
import { useChatRoute } from '../chat-route';
import { TASKS_CHANGED_EFFECT, buildChatKitOptions } from './chatkit-options';
import { useChatKitScript } from './use-chatkit-script';
import { recordTelemetry, reportChatReady } from '../../telemetry/telemetry-client';

export interface ChatKitPageProps {
  chatkit: ChatkitConfig;
  /** ChatKit cannot run for this user right now; the app shows the legacy chat instead, in place. */
  onUnavailable: ChatkitUnavailable;
}

interface ChatKitViewProps extends ChatKitPageProps {
  onError: (error: Error) => void;
  onThreadNotFound: (threadId: string) => void;
  onThreadShown: () => void;
}

function ChatKitView({ chatkit, onUnavailable, onError, onThreadNotFound, onThreadShown }: ChatKitViewProps) {
  const authFetch = useAuthFetch();
  const refreshTasks = useTaskRefresh();
  const route = useChatRoute();
  const backend = chatkit.mode === 'backend';
  const [initialConversationId] = useState(() => (backend ? route.conversationId : null));
  // The thread ChatKit shows (`initialThread`, then as it last told us); the URL follows it and it
  // follows the URL.
  const shownThread = useRef<string | null>(initialConversationId === null ? null : threadIdFor(initialConversationId));
  const chatkitMethods = useChatKit({
    ...buildChatKitOptions(chatkit, { authFetch, onUnavailable, onThreadNotFound }, initialConversationId),
    onError: ({ error }) => {
      recordTelemetry({ type: 'chatkit_error' });
      onError(error);
    },
    onReady: () => reportChatReady('chatkit'),
    onEffect: ({ name }) => {
      if (name === TASKS_CHANGED_EFFECT) refreshTasks();
    },
    onThreadChange: ({ threadId }) => {
      shownThread.current = threadId;
      onThreadShown();
      if (backend) route.navigate(threadId === null ? null : parseThreadId(threadId));
    },
    // Belt and braces: a response may have used task tools even if no effect arrived.
    onResponseEnd: refreshTasks,
  });
  const { setThreadId } = chatkitMethods;

  // Back/Forward: open the conversation the URL now names.
  useEffect(() => {
    if (!backend) return;
    const wanted = route.conversationId === null ? null : threadIdFor(route.conversationId);
    if (wanted === shownThread.current) return;
    shownThread.current = wanted;
    // Not a promise while the element is not mounted yet (chatkit-react only warns then).
    Promise.resolve(setThreadId(wanted)).catch(() => {
      // ChatKit refuses while it streams or loads; the URL then catches up with its next change.
    });
  }, [backend, route.conversationId, setThreadId]);

  return <ChatKit control={chatkitMethods.control} className="chatkit-frame" />;
}

/**
 * The ChatKit chat (loaded lazily: neither this module nor `@openai/chatkit-react` is in the entry
 * chunk). Shows a skeleton while the web component's script loads, hands over to the legacy chat
 * if it cannot, and offers Retry (a fresh ChatKit instance) after an error.
 */
export default function ChatKitPage({ chatkit, onUnavailable }: ChatKitPageProps) {
  const script = useChatKitScript();
  const [error, setError] = useState<Error | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (script.status === 'failed') onUnavailable('chatkit_script_failed', { conversationId: null, pendingMessage: null, detail: script.reason });
  }, [script, onUnavailable]);

  if (script.status !== 'ready') return <ChatSkeleton label="Loading chat…" />;

  function retry() {
    setError(null);
    setAttempt((count) => count + 1);
  }

  return (
    <div className="chat-surface chatkit-panel" data-testid="chatkit-page">
      {notFound && (
        <p className="notice notice--compact" role="status" data-testid="conversation-not-found">
          {CONVERSATION_NOT_FOUND_TEXT}
        </p>
      )}
      {error && !notFound && (
        <div className="error-banner" role="alert" data-testid="chatkit-error">
          <p>The chat ran into a problem: {describeError(error)}</p>
          <button className="button button--small" type="button" onClick={retry} data-testid="chatkit-retry">
            Retry
          </button>
        </div>
      )}
      <ChatKitView
        key={attempt}
        chatkit={chatkit}
        onUnavailable={onUnavailable}
        onError={setError}
        onThreadNotFound={() => setNotFound(true)}
        onThreadShown={() => setNotFound(false)}
      />
    </div>
  );
}
