import { useEffect, useId, useRef, type KeyboardEvent } from 'react';

interface ConfirmDialogProps {
  title: string;
  message: string;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  /** Where focus goes when the dialog closes; defaults to what had focus when it opened. */
  returnFocusTo?: HTMLElement | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal question for destructive actions. Focus starts on Cancel (the safe choice), stays inside
 * the dialog (Tab cycles), Escape cancels, and focus returns to what opened it when it closes.
 */
export function ConfirmDialog({ title, message, confirmLabel, busy = false, error, returnFocusTo, onConfirm, onCancel }: ConfirmDialogProps) {
  const titleId = useId();
  const messageId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  // Safari does not focus a button on click, so the opener is passed in when known.
  const returnFocusRef = useRef(returnFocusTo ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null));
  useEffect(() => {
    const opener = returnFocusRef.current;
    cancelRef.current?.focus();
    return () => opener?.focus();
  }, []);

  function handleKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === 'Escape' && !busy) {
      event.stopPropagation();
      onCancel();
      return;
    }
    if (event.key !== 'Tab') return;
    const focusable = dialogRef.current?.querySelectorAll<HTMLElement>('button:not([disabled])');
    if (!focusable || focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last?.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first?.focus();
    }
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click on the backdrop is a mouse shortcut; Escape and the buttons are the keyboard way
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape already closes the dialog (handled on the dialog)
    <div className="dialog-backdrop" onClick={busy ? undefined : onCancel}>
      <div
        ref={dialogRef}
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={messageId}
        onClick={(event) => event.stopPropagation()}
        onKeyDown={handleKeyDown}
        data-testid="confirm-dialog"
      >
        <h2 className="dialog-title" id={titleId}>
          {title}
        </h2>
        <p className="dialog-message" id={messageId}>
          {message}
        </p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button ref={cancelRef} className="button" type="button" onClick={onCancel} disabled={busy} data-testid="cancel-delete">
            Cancel
          </button>
          <button className="button button--danger" type="button" onClick={onConfirm} disabled={busy} data-testid="confirm-delete">
            {busy ? 'Deleting…' : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
