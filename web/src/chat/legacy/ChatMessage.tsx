import { FeedbackButtons } from '../../telemetry/FeedbackButtons';
import { STOPPED_LABEL } from '../chat-copy';
import type { ChatMessageView } from './chat-thread-state';
import { TaskList } from './TaskList';

/** Tool names as people would say them: `add_task` → "add task". */
function describeTool(name: string): string {
  return name.replace(/[_-]+/g, ' ');
}

export function ChatMessage({ message }: { message: ChatMessageView }) {
  const { role, content, streaming, tools, interrupted } = message;
  return (
    <li className={`message message--${role}`} data-testid={`message-${role}`} data-streaming={streaming || undefined}>
      <span className="visually-hidden">{role === 'user' ? 'You:' : 'Assistant:'}</span>
      <div className="message-bubble">
        {content}
        {streaming && !content && (
          <span className="typing" role="status" aria-label="The assistant is writing">
            <span />
            <span />
            <span />
          </span>
        )}
      </div>
      {interrupted && (
        <p className="message-stopped" data-testid="message-stopped">
          {STOPPED_LABEL}
        </p>
      )}
      {tools.length > 0 && (
        // Issue 18: under the "Used: …" line, the tasks the tools touched, with the widget's controls.
        <TaskList tasks={message.tasks}>
          <p className="message-tools">Used: {[...new Set(tools)].map(describeTool).join(', ')}</p>
        </TaskList>
      )}
      {role === 'assistant' && !streaming && content && <FeedbackButtons />}
    </li>
  );
}
