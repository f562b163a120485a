import { useLayoutEffect, useRef } from 'react';
import type { ChatFailure, ChatMessageView } from './chat-thread-state';
import { ChatMessage } from './ChatMessage';
import { CurrentTasksProvider } from './TaskList';
import { InlineError } from '../../ui/InlineError';

interface MessageListProps {
  messages: readonly ChatMessageView[];
  failure: ChatFailure | null;
  canRetry: boolean;
  onRetry: () => void;
}

/** How close to the bottom (px) still counts as "following along". */
const FOLLOW_THRESHOLD = 120;

/**
 * The conversation so far. It follows new text while the reader is at the bottom, but does not
 * yank them down while they scroll back through older messages.
 */
export function MessageList({ messages, failure, canRetry, onRetry }: MessageListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  useLayoutEffect(() => {
    const scroller = scrollRef.current;
    if (scroller && following.current) scroller.scrollTop = scroller.scrollHeight;
  }, [messages, failure]);

  function handleScroll() {
    const scroller = scrollRef.current;
    if (!scroller) return;
    following.current = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < FOLLOW_THRESHOLD;
  }

  return (
    <div className="message-scroll" ref={scrollRef} onScroll={handleScroll}>
      {/* Issue 18: the tasks under answers show their current state (TaskList.tsx). */}
      <CurrentTasksProvider enabled={messages.some((message) => message.tasks.length > 0)}>
        <ol className="message-list" aria-label="Messages" data-testid="message-list">
          {messages.map((message) => (
            <ChatMessage key={message.key} message={message} />
          ))}
        </ol>
      </CurrentTasksProvider>
      {failure && (
        <InlineError variant="chat" testId="chat-error" onRetry={onRetry} retryLabel="Retry" retryDisabled={!canRetry} retryTestId="retry-send">
          {failure.message}
        </InlineError>
      )}
    </div>
  );
}
