import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_PROMPTS, WELCOME_TEXT } from '../../web/src/chat/chat-copy';
import { FakeBackend, bearerOf, contractError, flags, json, task } from './support/fake-backend';
import { chatkitCalls as chatkit, latestChatkitOptions, resetChatkitCalls } from './support/chatkit-react-mock';
import { renderApp } from './support/render';

vi.mock('@openai/chatkit-react', () => import('./support/chatkit-react-mock'));

const latestOptions = latestChatkitOptions;

let backend: FakeBackend;

beforeAll(() => {
  // The CDN script has "loaded": the element exists, so the page goes straight to ChatKit.
  customElements.define('openai-chatkit', class extends HTMLElement {});
});

beforeEach(() => {
  resetChatkitCalls();
  backend = new FakeBackend().install();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

const main = () => document.querySelector('main.app-main');

async function renderChatKit(mode: 'backend' | 'hosted') {
  backend.flags = flags({
    variant: 'chatkit',
    chatkit: { mode, api_url: '/api/chatkit', domain_key: 'domain_pk_localhost_dev' },
  });
  renderApp();
  await screen.findByTestId('chatkit-element');
}

describe('ChatKit page, backend mode', () => {
  it('is chosen from the flags and talks to /api/chatkit with url + domainKey + fetch (no client secret)', async () => {
    await renderChatKit('backend');
    expect(main()).toHaveAttribute('data-chat-variant', 'chatkit');
    expect(main()).toHaveAttribute('data-variant-reason', 'allowed');
    expect(screen.queryByTestId('legacy-chat')).not.toBeInTheDocument();

    const { api } = latestOptions();
    expect(Object.keys(api).sort()).toEqual(['domainKey', 'fetch', 'url']);
    expect(api).toMatchObject({ url: '/api/chatkit', domainKey: 'domain_pk_localhost_dev' });
    expect(api).not.toHaveProperty('getClientSecret');
  });

  it("api.fetch adds the Bearer token and keeps ChatKit's own headers", async () => {
    backend.on('POST', '/api/chatkit', () => json({ data: [], has_more: false }));
    await renderChatKit('backend');
    const { api } = latestOptions();
    if (!('fetch' in api) || !api.fetch) throw new Error('backend mode must have api.fetch');

    const response = await api.fetch('/api/chatkit', {
      method: 'POST',
      headers: new Headers({ 'Content-Type': 'application/json', 'X-ChatKit-Client': 'web' }),
      body: JSON.stringify({ type: 'threads.list', params: {} }),
    });
    expect(response.status).toBe(200);
    const [call] = backend.calls('POST', '/api/chatkit');
    expect(bearerOf(call)).toBe(backend.issuedTokens.at(-1));
    expect(call!.headers.get('content-type')).toBe('application/json');
    expect(call!.headers.get('x-chatkit-client')).toBe('web');
    expect(JSON.parse(call!.body!)).toEqual({ type: 'threads.list', params: {} });
  });

  it('api.fetch refreshes the token once on a 401 and retries', async () => {
    let calls = 0;
    backend.on('POST', '/api/chatkit', () => (++calls === 1 ? contractError('unauthorized') : json({ ok: true })));
    await renderChatKit('backend');
    const { api } = latestOptions();
    if (!('fetch' in api) || !api.fetch) throw new Error('backend mode must have api.fetch');

    expect((await api.fetch('/api/chatkit', { method: 'POST', body: '{}' })).status).toBe(200);
    const [first, second] = backend.calls('POST', '/api/chatkit');
    expect(bearerOf(second)).not.toBe(bearerOf(first));
    expect(bearerOf(second)).toBe(backend.issuedTokens.at(-1));
  });

  it('looks like the app: seed greeting, prompts, placeholder, theme; history on; no attachments', async () => {
    await renderChatKit('backend');
    const options = latestOptions();
    expect(options.startScreen).toEqual({
      greeting: WELCOME_TEXT,
      prompts: [
        expect.objectContaining({ label: EXAMPLE_PROMPTS[0], prompt: EXAMPLE_PROMPTS[0] }),
        expect.objectContaining({ label: EXAMPLE_PROMPTS[1], prompt: EXAMPLE_PROMPTS[1] }),
      ],
    });
    expect(options.composer).toEqual({
      placeholder: 'Ask me to manage your tasks...',
      attachments: { enabled: false },
      dictation: { enabled: false },
    });
    expect(options.history).toEqual({ enabled: true, showDelete: true, showRename: true });
    expect(options.threadItemActions).toEqual({ feedback: true, retry: true });
    expect(options.theme).toMatchObject({
      colorScheme: 'light',
      color: { accent: { primary: '#3b82f6' }, surface: { foreground: '#1f2937' } },
      typography: { fontFamily: expect.stringMatching(/^Inter,/) },
    });
  });

  it('refreshes the task panel on a tasks.changed effect and at the end of a response, not on other effects', async () => {
    await renderChatKit('backend');
    await screen.findByText('No tasks yet. Ask the assistant to add one.');
    const taskCalls = () => backend.calls('GET', '/api/v1/tasks').length;
    const before = taskCalls();

    backend.tasks = [task(1, 'buy groceries')];
    act(() => latestOptions().onEffect?.({ name: 'tasks.changed', data: {} }));
    expect(await screen.findByTestId('task-item')).toHaveTextContent('buy groceries');
    expect(taskCalls()).toBe(before + 1);

    act(() => latestOptions().onEffect?.({ name: 'something.else' }));
    act(() => latestOptions().onResponseEnd?.());
    await waitFor(() => expect(taskCalls()).toBe(before + 2));
  });

  it('shows an error banner with Retry, which starts a fresh ChatKit', async () => {
    await renderChatKit('backend');
    // The element is in the DOM before React runs its passive effects (where the mock counts a mount).
    await waitFor(() => expect(chatkit.mounts).toBe(1));

    act(() => latestOptions().onError?.({ error: new Error('Stream interrupted') }));
    const banner = await screen.findByTestId('chatkit-error');
    expect(banner).toHaveAttribute('role', 'alert');
    expect(banner).toHaveTextContent('Stream interrupted');

    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(screen.queryByTestId('chatkit-error')).not.toBeInTheDocument();
    await waitFor(() => expect(chatkit.mounts).toBe(2));
  });
});

describe('ChatKit page, hosted mode', () => {
  it('only has getClientSecret (a domainKey there makes ChatKit refuse to start)', async () => {
    await renderChatKit('hosted');
    const { api } = latestOptions();
    expect(Object.keys(api)).toEqual(['getClientSecret']);
  });

  it('gets the client secret from POST /api/chatkit/session with the Bearer token', async () => {
    backend.on('POST', '/api/chatkit/session', (request) => {
      const { current_client_secret: current } = JSON.parse(request.body!) as { current_client_secret: string | null };
      return json({ client_secret: current ? 'cs_second' : 'cs_first', session_id: 'cksess_1', expires_at: 1_900_000_000 });
    });
    await renderChatKit('hosted');
    const { api } = latestOptions();
    if (!('getClientSecret' in api)) throw new Error('hosted mode must have getClientSecret');

    await expect(api.getClientSecret(null)).resolves.toBe('cs_first');
    await expect(api.getClientSecret('cs_first')).resolves.toBe('cs_second');
    const [first, refresh] = backend.calls('POST', '/api/chatkit/session');
    expect(JSON.parse(first!.body!)).toEqual({ current_client_secret: null });
    expect(JSON.parse(refresh!.body!)).toEqual({ current_client_secret: 'cs_first' });
    expect(bearerOf(first)).toBe(backend.issuedTokens.at(-1));
  });

  it.each([['chatkit_disabled' as const], ['chatkit_not_configured' as const]])(
    'falls back to the legacy chat when the session endpoint answers %s',
    async (code) => {
      backend.on('POST', '/api/chatkit/session', () => contractError(code));
      await renderChatKit('hosted');
      const { api } = latestOptions();
      if (!('getClientSecret' in api)) throw new Error('hosted mode must have getClientSecret');

      await act(async () => {
        await expect(api.getClientSecret(null)).rejects.toMatchObject({ code });
      });
      expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
      expect(screen.queryByTestId('chatkit-element')).not.toBeInTheDocument();
      expect(main()).toHaveAttribute('data-chat-variant', 'legacy');
      expect(main()).toHaveAttribute('data-variant-reason', code);
      expect(screen.getByTestId('chat-fallback-notice')).toHaveTextContent("you're in the classic chat");
    },
  );

  it('stays on ChatKit (and lets ChatKit report it) when the session endpoint fails otherwise', async () => {
    backend.on('POST', '/api/chatkit/session', () => contractError('upstream_error'));
    await renderChatKit('hosted');
    const { api } = latestOptions();
    if (!('getClientSecret' in api)) throw new Error('hosted mode must have getClientSecret');
    await act(async () => {
      await expect(api.getClientSecret(null)).rejects.toMatchObject({ code: 'upstream_error' });
    });
    expect(main()).toHaveAttribute('data-chat-variant', 'chatkit');
  });
});
