import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { AuthFetch } from './auth-fetch';
import type { AuthSession, AuthState } from './auth-session';

const AuthSessionContext = createContext<AuthSession | null>(null);

export function AuthProvider({ session, children }: { session: AuthSession; children: ReactNode }) {
  return <AuthSessionContext.Provider value={session}>{children}</AuthSessionContext.Provider>;
}

export function useAuthSession(): AuthSession {
  const session = useContext(AuthSessionContext);
  if (!session) throw new Error('useAuthSession() needs an <AuthProvider> above it.');
  return session;
}

export function useAuthState(): AuthState {
  const session = useAuthSession();
  return useSyncExternalStore(session.subscribe, session.getState);
}

/** `fetch` with the Bearer token, refresh-once-on-401 and sign-out when the session is over. */
export function useAuthFetch(): AuthFetch {
  return useAuthSession().authFetch;
}
