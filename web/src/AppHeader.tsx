import { useState } from 'react';
import { useAuthSession } from './auth/auth-context';
import type { SignedInUser } from './auth/auth-session';

export function AppHeader({ user }: { user: SignedInUser }) {
  const session = useAuthSession();
  const [signingOut, setSigningOut] = useState(false);
  const who = user.name || user.email || 'Signed in';

  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <h1 className="brand-name">
          Calm Orbit <span className="brand-tagline">AI Task Assistant</span>
        </h1>
      </div>
      <div className="account">
        <span className="account-name" title={user.email ?? undefined} data-testid="account-name">
          {who}
        </span>
        <button
          className="button button--quiet"
          type="button"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void session.signOut();
          }}
          data-testid="sign-out"
        >
          Sign out
        </button>
      </div>
    </header>
  );
}
