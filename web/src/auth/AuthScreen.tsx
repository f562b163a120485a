import { useEffect, useState } from 'react';
import { useAuthSession } from './auth-context';
import { SignInForm } from './SignInForm';
import { SignUpForm } from './SignUpForm';

type AuthMode = 'sign-in' | 'sign-up';

/** The signed-out page: one card, sign in or create an account. */
export function AuthScreen({ notice }: { notice: string | null }) {
  const session = useAuthSession();
  const [mode, setMode] = useState<AuthMode>('sign-in');
  // Fetch Better Auth's client while people type, so submitting does not wait for it.
  useEffect(() => session.preloadClient(), [session]);
  const heading = mode === 'sign-in' ? 'Welcome back' : 'Create your account';

  return (
    <main className="auth-page" data-testid="auth-screen">
      <section className="auth-card" aria-labelledby="auth-heading">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Calm Orbit</span>
        </div>
        <h1 className="auth-heading" id="auth-heading">
          {heading}
        </h1>
        <p className="auth-subtitle">Your AI task assistant: add, find and finish tasks by chatting.</p>
        {notice && (
          <p className="notice" role="status" data-testid="auth-notice">
            {notice}
          </p>
        )}
        {mode === 'sign-in' ? <SignInForm /> : <SignUpForm />}
        <p className="auth-switch">
          {mode === 'sign-in' ? 'New to Calm Orbit?' : 'Already have an account?'}{' '}
          <button className="link-button" type="button" onClick={() => setMode(mode === 'sign-in' ? 'sign-up' : 'sign-in')}>
            {mode === 'sign-in' ? 'Create an account' : 'Sign in'}
          </button>
        </p>
      </section>
    </main>
  );
}
