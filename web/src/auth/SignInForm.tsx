import { useState, type FormEvent } from 'react';
import { TextField } from '../ui/TextField';
import { useAuthSession } from './auth-context';

export function SignInForm() {
  const session = useAuthSession();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await session.signIn({
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
    });
    // On success this form unmounts (the app switches to the chat), so only failures update it.
    if (!result.ok) {
      setError(result.message);
      setPending(false);
    }
  }

  return (
    <form className="auth-form" onSubmit={handleSubmit} aria-busy={pending} data-testid="sign-in-form">
      <TextField label="Email" name="email" type="email" autoComplete="email" required />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
      {error && (
        <p className="form-error" role="alert" data-testid="auth-error">
          {error}
        </p>
      )}
      <button className="button button--primary button--block" type="submit" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
