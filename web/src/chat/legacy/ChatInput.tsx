import { useId, useState, type FormEvent, type KeyboardEvent, type RefObject } from 'react';
import { MAX_MESSAGE_LENGTH, tooLongMessage } from '../../../../shared/origin';
import { COMPOSER_PLACEHOLDER } from '../chat-copy';
import { SendIcon } from '../../ui/icons';

/** From here on the composer shows how many characters are left (a paste is never cut). */
export const LIMIT_HINT_FROM = MAX_MESSAGE_LENGTH - 500;
const count = new Intl.NumberFormat('en-US');

interface ChatInputProps {
  onSend: (text: string) => void;
  /** Stops the answer being written (what was shown stays). */
  onStop?: () => void;
  /** A turn is in flight: sending is blocked until the answer is done. */
  sending: boolean;
  inputRef?: RefObject<HTMLTextAreaElement | null>;
}

/**
 * The composer. Enter sends, Shift+Enter adds a line. While an answer streams, Send becomes Stop,
 * and the textarea stays editable and focused (disabling it would throw keyboard focus to <body>),
 * so people can type their next message. Near the origin's 4,000-character limit it says how many
 * are left; past it, it says why it will not send, and keeps every character.
 */
export function ChatInput({ onSend, onStop, sending, inputRef }: ChatInputProps) {
  const id = useId();
  const [text, setText] = useState('');
  const length = text.trim().length;
  const tooLong = length > MAX_MESSAGE_LENGTH;
  const canSend = !sending && length > 0 && !tooLong;

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
        aria-invalid={tooLong || undefined}
        aria-describedby={`${id}-hint ${id}-limit`}
        data-testid="chat-input"
      />
      <p className="visually-hidden" id={`${id}-hint`}>
        Press Enter to send, Shift and Enter for a new line.
      </p>
      <p
        id={`${id}-limit`}
        className={tooLong ? 'composer-limit composer-limit--over' : 'composer-limit'}
        role={tooLong ? 'alert' : undefined}
        hidden={length < LIMIT_HINT_FROM}
        data-testid="composer-limit"
      >
        {tooLong ? tooLongMessage(length) : `${count.format(length)} / ${count.format(MAX_MESSAGE_LENGTH)} characters`}
      </p>
      {sending && onStop ? (
        <button className="button composer-send" type="button" onClick={onStop} data-testid="stop-button">
          <span>Stop</span>
        </button>
      ) : (
        <button className="button button--primary composer-send" type="submit" disabled={!canSend} data-testid="send-button">
          <SendIcon />
          <span>{sending ? 'Sending…' : 'Send'}</span>
        </button>
      )}
    </form>
  );
}
