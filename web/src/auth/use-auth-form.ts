import { useState, type FormEvent } from 'react';
import type { AuthResult } from './auth-session';

/**
 * The submit cycle both auth forms share: read the form, call Better Auth, show its error. On
 * success the form unmounts (the app switches to the chat), so only failures update it.
 */
export function useAuthForm(submit: (form: FormData) => Promise<AuthResult>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await submit(form);
    if (!result.ok) {
      setError(result.message);
      setPending(false);
    }
  }

  return { pending, error, onSubmit };
}

/** A text field's trimmed value (passwords are read raw: spaces may be part of them). */
export const fieldText = (form: FormData, name: string): string => String(form.get(name) ?? '').trim();
