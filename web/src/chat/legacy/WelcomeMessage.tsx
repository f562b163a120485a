import { EXAMPLE_PROMPTS, WELCOME_TEXT } from '../chat-copy';

/** The empty state of a new chat: the seed's greeting and its two examples, one click to send. */
export function WelcomeMessage({ onPick, disabled }: { onPick: (prompt: string) => void; disabled: boolean }) {
  return (
    <div className="welcome" data-testid="welcome-message">
      <span className="brand-mark brand-mark--large" aria-hidden="true" />
      <h2 className="welcome-title">AI Task Assistant</h2>
      <p className="welcome-text">{WELCOME_TEXT}</p>
      <div className="suggestions" role="group" aria-label="Example requests">
        {EXAMPLE_PROMPTS.map((prompt) => (
          <button key={prompt} className="suggestion" type="button" onClick={() => onPick(prompt)} disabled={disabled} data-testid="suggestion">
            {prompt}
          </button>
        ))}
      </div>
    </div>
  );
}
