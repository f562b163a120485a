import { lazy, Suspense, useEffect } from 'react';
import { AppHeader } from './AppHeader';
import { useAuthSession, useAuthState } from './auth/auth-context';
import type { SignedInUser } from './auth/auth-session';
import { AuthScreen } from './auth/AuthScreen';
import type { ChatDecision, ChatkitUnavailable } from './flags/chat-decision';
import { useChatDecision } from './flags/use-chat-decision';
import { useSignOutAcrossTabs } from './tabs/use-sign-out-across-tabs';
import { useTelemetry } from './telemetry/telemetry-client';
import { TaskRefreshProvider } from './tasks/task-refresh';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { LoadFailed } from './ui/LoadFailed';
import { ChatSkeleton, PageSkeleton } from './ui/Skeleton';

// Each chat is its own chunk, so the entry (session, sign-in, header, task panel, flags) stays
// small: ChatKit (with @openai/chatkit-react) is for ChatKit users, the legacy chat for the rest.
const ChatKitPage = lazy(() => import('./chat/chatkit/ChatKitPage'));
const loadLegacyChat = () => import('./chat/legacy/LegacyChatPage');
const LegacyChatPage = lazy(loadLegacyChat);
// The task panel sits beside either chat; its own chunk keeps the entry chunk within its budget
// (README "Performance") and is fetched with the legacy chat, while the flags are on their way.
const loadTaskPanel = () => import('./tasks/TaskPanel');
const TaskPanel = lazy(() => loadTaskPanel().then((module) => ({ default: module.TaskPanel })));

interface ChatVariantViewProps {
  decision: ChatDecision | null;
  onChatkitUnavailable: ChatkitUnavailable;
  onDismissNotice: () => void;
}

function ChatVariantView({ decision, onChatkitUnavailable, onDismissNotice }: ChatVariantViewProps) {
  const skeleton = <ChatSkeleton label="Loading chat…" />;
  if (!decision) return skeleton;
  if (decision.variant === 'legacy') {
    return (
      // Keyed: otherwise React would reuse ChatKit's (failed) boundary for the legacy chat.
      <ErrorBoundary key="legacy" fallback={<LoadFailed what="The chat" />}>
        <Suspense fallback={skeleton}>
          <LegacyChatPage notice={decision.notice} onDismissNotice={onDismissNotice} handoff={decision.handoff ?? null} />
        </Suspense>
      </ErrorBoundary>
    );
  }
  // If ChatKit's chunk cannot load or ChatKit throws, this user gets the legacy chat instead.
  return (
    <ErrorBoundary
      key="chatkit"
      onError={(error) =>
        onChatkitUnavailable('chatkit_failed', { conversationId: null, pendingMessage: null, detail: error instanceof Error ? error.message : undefined })
      }
      fallback={skeleton}
    >
      <Suspense fallback={skeleton}>
        <ChatKitPage chatkit={decision.chatkit} onUnavailable={onChatkitUnavailable} />
      </Suspense>
    </ErrorBoundary>
  );
}

/**
 * The signed-in app. `<main>` tells tests and ops which chat is on screen and why
 * (`data-chat-variant`, `data-variant-reason`); both are absent while `/api/flags` is pending.
 */
function SignedInApp({ user }: { user: SignedInUser }) {
  const { decision, fallBackToLegacy, dismissNotice } = useChatDecision(user.id);
  // Rollout signals (fallbacks, errors, time to a usable input, feedback): web/src/telemetry/.
  useTelemetry();
  // Download the legacy chat while `/api/flags` is on its way: it is what most users get, and the
  // instant fallback when ChatKit cannot load, so it must not wait for the flags to arrive.
  useEffect(() => {
    for (const load of [loadLegacyChat, loadTaskPanel]) {
      load().catch(() => {
        // React.lazy retries the import when the part is rendered, and reports a failure then.
      });
    }
  }, []);
  return (
    <TaskRefreshProvider>
      <div className="app-shell">
        <a className="skip-link" href="#chat">
          Skip to chat
        </a>
        <AppHeader user={user} />
        <main className="app-main" data-chat-variant={decision?.variant} data-variant-reason={decision?.reason} aria-busy={decision === null}>
          <div className="chat-column" id="chat" tabIndex={-1}>
            <ChatVariantView decision={decision} onChatkitUnavailable={fallBackToLegacy} onDismissNotice={dismissNotice} />
          </div>
          <ErrorBoundary fallback={<LoadFailed what="The task list" />}>
            <Suspense fallback={<aside className="task-panel" aria-label="Your tasks" aria-busy="true" />}>
              <TaskPanel />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </TaskRefreshProvider>
  );
}

export function App() {
  const session = useAuthSession();
  const auth = useAuthState();
  useSignOutAcrossTabs(session);

  useEffect(() => {
    void session.restore();
  }, [session]);

  switch (auth.status) {
    case 'loading':
      return <PageSkeleton label="Starting Calm Orbit…" />;
    case 'signed-out':
      return <AuthScreen notice={auth.notice} />;
    case 'signed-in':
      // Keyed by user: a different account starts from a clean slate (flags, chat, tasks).
      return <SignedInApp key={auth.user.id} user={auth.user} />;
  }
}
