import { useId, useState, type FormEvent, type KeyboardEvent, type RefObject } from 'react';
import { COMPOSER_PLACEHOLDER } from '../chat-copy';
import { SendIcon } from '../../ui/icons';

/** The origin's limit (ChatRequestSchema); the textarea stops there instead of failing later. */
const MAX_MESSAGE_LENGTH = 4000;

interface ChatInputProps {
  onSend: (text: string) => void;
  /** A turn is in flight: sending is blocked until the answer is done. */
  sending: boolean;
  inputRef?: RefObject<HTMLTextAreaElement | null>;
}

/**
 * The composer. Enter sends, Shift+Enter adds a line. While an answer streams, sending is disabled
 * but the textarea stays editable and focused (disabling it would throw keyboard focus to <body>),
 * so people can type their next message.
 */
export function ChatInput({ onSend, sending, inputRef }: ChatInputProps) {
  const id = useId();
  const [text, setText] = useState('');
  const canSend = !sending && text.trim().length > 0;

  function submit() {
    if (!canSend) return;
    onSend(text.trim());
    setText('');
  }

  function handleKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // isComposing: Enter that confirms an IME candidate (Japanese, Chinese…) must not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    submit();
  }

  return (
    <form className="composer" onSubmit={handleSubmit} aria-busy={sending}>
      <label className="visually-hidden" htmlFor={id}>
        Message the assistant
      </label>
      <textarea
        ref={inputRef}
        id={id}
        className="composer-input"
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={handleKeyDown}
        placeholder={COMPOSER_PLACEHOLDER}
        rows={1}
        maxLength={MAX_MESSAGE_LENGTH}
        aria-describedby={`${id}-hint`}
        data-testid="chat-input"
      />
      <p className="visually-hidden" id={`${id}-hint`}>
        Press Enter to send, Shift and Enter for a new line.
      </p>
      <button className="button button--primary composer-send" type="submit" disabled={!canSend} data-testid="send-button">
        <SendIcon />
        <span>{sending ? 'Sending…' : 'Send'}</span>
      </button>
    </form>
  );
}
