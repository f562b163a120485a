import { screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend, flags } from './support/fake-backend';

// The chat chunks cannot be downloaded (e.g. a deploy replaced them while the tab was open):
// `failing` says which imports fail in the current test.
const failing = vi.hoisted(() => ({ chatkit: false, legacy: false }));

vi.mock('../../web/src/chat/chatkit/ChatKitPage', async (importOriginal) => {
  if (failing.chatkit) throw new TypeError('Failed to fetch dynamically imported module');
  return importOriginal();
});
vi.mock('../../web/src/chat/legacy/LegacyChatPage', async (importOriginal) => {
  if (failing.legacy) throw new TypeError('Failed to fetch dynamically imported module');
  return importOriginal();
});

beforeEach(() => {
  vi.resetModules();
  failing.chatkit = false;
  failing.legacy = false;
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('when a lazy chunk cannot load', () => {
  it('a ChatKit user gets the legacy chat', async () => {
    failing.chatkit = true;
    const { renderApp } = await import('./support/render');
    const backend = new FakeBackend().install();
    backend.flags = flags({ variant: 'chatkit' });
    renderApp();
    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    expect(document.querySelector('main')).toHaveAttribute('data-variant-reason', 'chatkit_failed');
    expect(screen.getByTestId('chat-fallback-notice')).toBeInTheDocument();
  });

  it('a legacy user sees what happened and a Reload button, not a blank page', async () => {
    failing.legacy = true;
    const { renderApp } = await import('./support/render');
    new FakeBackend().install();
    renderApp();
    const failed = await screen.findByTestId('load-failed');
    expect(failed).toHaveAttribute('role', 'alert');
    expect(failed).toHaveTextContent("The chat couldn't be loaded.");
    expect(screen.getByRole('button', { name: 'Reload' })).toBeInTheDocument();
    expect(screen.getByTestId('task-panel')).toBeInTheDocument();
  });
});
