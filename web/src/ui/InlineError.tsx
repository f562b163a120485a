import type { ReactNode } from 'react';

interface InlineErrorProps {
  children: ReactNode;
  /** Shown as a small button when the failed action can be tried again. */
  onRetry?: () => void;
  retryLabel?: string;
  retryDisabled?: boolean;
  variant?: 'chat' | 'center';
  testId?: string;
  retryTestId?: string;
}

/** A failure next to the thing that failed, announced to screen readers, with a retry when there is one. */
export function InlineError({ children, onRetry, retryLabel = 'Try again', retryDisabled, variant, testId, retryTestId }: InlineErrorProps) {
  return (
    <div className={variant ? `inline-error inline-error--${variant}` : 'inline-error'} role="alert" data-testid={testId}>
      <p>{children}</p>
      {onRetry && (
        <button className="button button--small" type="button" onClick={onRetry} disabled={retryDisabled} data-testid={retryTestId}>
          {retryLabel}
        </button>
      )}
    </div>
  );
}
