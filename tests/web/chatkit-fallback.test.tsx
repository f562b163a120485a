import { screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CHATKIT_SCRIPT_URL } from '../../web/src/chat/chatkit/load-chatkit-script';
import { FakeBackend, flags } from './support/fake-backend';
import { renderApp } from './support/render';

// <openai-chatkit> is never defined in this file, and setup.ts makes every <script src> fail:
// the ChatKit CDN is unreachable (blocked by an extension, a proxy, an outage…).

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('when the ChatKit script cannot load', () => {
  it('shows the legacy chat with a polite notice instead of a dead box', async () => {
    const backend = new FakeBackend().install();
    backend.flags = flags({ variant: 'chatkit' });
    renderApp();

    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    const main = document.querySelector('main.app-main');
    expect(main).toHaveAttribute('data-chat-variant', 'legacy');
    expect(main).toHaveAttribute('data-variant-reason', 'chatkit_script_failed');
    const notice = screen.getByTestId('chat-fallback-notice');
    expect(notice).toHaveAttribute('role', 'status');
    expect(notice).toHaveTextContent("The new chat couldn't load");
    expect(notice).toHaveTextContent(`Reason: The ChatKit script could not be loaded from ${DEFAULT_CHATKIT_SCRIPT_URL}.`);
    expect(document.querySelector(`script[src="${DEFAULT_CHATKIT_SCRIPT_URL}"]`)).toBeNull(); // cleaned up
    expect(screen.getByTestId('welcome-message')).toBeInTheDocument();
  });
});
