import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AuthProvider } from './auth/auth-context';
import { AuthSession } from './auth/auth-session';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { LoadFailed } from './ui/LoadFailed';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element.');

createRoot(container).render(
  <StrictMode>
    <ErrorBoundary fallback={<LoadFailed what="Calm Orbit" />}>
      <AuthProvider session={new AuthSession()}>
        <App />
      </AuthProvider>
    </ErrorBoundary>
  </StrictMode>,
);
