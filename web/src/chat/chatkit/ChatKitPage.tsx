import { ChatKit, useChatKit } from '@openai/chatkit-react';
import { useEffect, useState } from 'react';
import { describeError } from '../../api/api-error';
import { useAuthFetch } from '../../auth/auth-context';
import type { ChatkitConfig, ChatkitUnavailableReason } from '../../flags/chat-decision';
import { useTaskRefresh } from '../../tasks/task-refresh';
import { ChatSkeleton } from '../../ui/Skeleton';
import { TASKS_CHANGED_EFFECT, buildChatKitOptions } from './chatkit-options';
import { useChatKitScript } from './use-chatkit-script';
import { recordTelemetry, reportChatReady } from '../../telemetry/telemetry-client';

export interface ChatKitPageProps {
  chatkit: ChatkitConfig;
  /** ChatKit cannot run for this user right now; the app shows the legacy chat instead. */
  onUnavailable: (reason: ChatkitUnavailableReason) => void;
}

interface ChatKitViewProps extends ChatKitPageProps {
  onError: (error: Error) => void;
}

function ChatKitView({ chatkit, onUnavailable, onError }: ChatKitViewProps) {
  const authFetch = useAuthFetch();
  const refreshTasks = useTaskRefresh();
  const { control } = useChatKit({
    ...buildChatKitOptions(chatkit, { authFetch, onUnavailable }),
    onError: ({ error }) => {
      recordTelemetry({ type: 'chatkit_error' });
      onError(error);
    },
    onReady: () => reportChatReady('chatkit'),
    onEffect: ({ name }) => {
      if (name === TASKS_CHANGED_EFFECT) refreshTasks();
    },
    // Belt and braces: a response may have used task tools even if no effect arrived.
    onResponseEnd: refreshTasks,
  });
  return <ChatKit control={control} className="chatkit-frame" />;
}

/**
 * The ChatKit chat (loaded lazily: neither this module nor `@openai/chatkit-react` is in the entry
 * chunk). Shows a skeleton while the web component's script loads, hands over to the legacy chat
 * if it cannot, and offers Retry (a fresh ChatKit instance) after an error.
 */
export default function ChatKitPage({ chatkit, onUnavailable }: ChatKitPageProps) {
  const script = useChatKitScript();
  const [error, setError] = useState<Error | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (script === 'failed') onUnavailable('chatkit_script_failed');
  }, [script, onUnavailable]);

  if (script !== 'ready') return <ChatSkeleton label="Loading chat…" />;

  function retry() {
    setError(null);
    setAttempt((count) => count + 1);
  }

  return (
    <div className="chat-surface chatkit-panel" data-testid="chatkit-page">
      {error && (
        <div className="error-banner" role="alert" data-testid="chatkit-error">
          <p>The chat ran into a problem: {describeError(error)}</p>
          <button className="button button--small" type="button" onClick={retry} data-testid="chatkit-retry">
            Retry
          </button>
        </div>
      )}
      <ChatKitView key={attempt} chatkit={chatkit} onUnavailable={onUnavailable} onError={setError} />
    </div>
  );
}
