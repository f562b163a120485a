import { TextField } from '../ui/TextField';
import { useAuthSession } from './auth-context';
import { AuthFormFooter } from './AuthFormFooter';
import { fieldText, useAuthForm } from './use-auth-form';

/** Better Auth's default minimum; checked here too so people learn it before submitting. */
const MIN_PASSWORD_LENGTH = 8;

export function SignUpForm() {
  const session = useAuthSession();
  const { pending, error, onSubmit } = useAuthForm((form) =>
    session.signUp({ name: fieldText(form, 'name'), email: fieldText(form, 'email'), password: String(form.get('password') ?? '') }),
  );

  return (
    <form className="auth-form" onSubmit={onSubmit} aria-busy={pending} data-testid="sign-up-form">
      <TextField label="Name" name="name" type="text" autoComplete="name" required maxLength={100} />
      <TextField label="Email" name="email" type="email" autoComplete="email" required />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
      />
      <AuthFormFooter error={error} pending={pending} label="Create account" pendingLabel="Creating your account…" />
    </form>
  );
}
