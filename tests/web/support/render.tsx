import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { App } from '../../../web/src/App';
import { AuthProvider } from '../../../web/src/auth/auth-context';
import { AuthSession } from '../../../web/src/auth/auth-session';
import { TaskRefreshProvider } from '../../../web/src/tasks/task-refresh';

/** The whole app, as main.tsx mounts it, with a fresh session. */
export function renderApp(session = new AuthSession()) {
  return { session, ...render(<AuthProvider session={session}>{<App />}</AuthProvider>) };
}

/** A piece of the signed-in app: a session whose token comes from the fake `/api/auth/token`. */
export function renderSignedIn(ui: ReactNode, session = new AuthSession()) {
  return {
    session,
    ...render(
      <AuthProvider session={session}>
        <TaskRefreshProvider>{ui}</TaskRefreshProvider>
      </AuthProvider>,
    ),
  };
}
