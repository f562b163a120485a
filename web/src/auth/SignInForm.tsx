import { TextField } from '../ui/TextField';
import { useAuthSession } from './auth-context';
import { AuthFormFooter } from './AuthFormFooter';
import { fieldText, useAuthForm } from './use-auth-form';

export function SignInForm() {
  const session = useAuthSession();
  const { pending, error, onSubmit } = useAuthForm((form) => session.signIn({ email: fieldText(form, 'email'), password: String(form.get('password') ?? '') }));

  return (
    <form className="auth-form" onSubmit={onSubmit} aria-busy={pending} data-testid="sign-in-form">
      <TextField label="Email" name="email" type="email" autoComplete="email" required />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
      <AuthFormFooter error={error} pending={pending} label="Sign in" pendingLabel="Signing in…" />
    </form>
  );
}
