/**
 * One conversation across both chats: the in-place switch from ChatKit to the legacy chat, per-chat
 * URLs, history that keeps tool steps and stopped answers, retry from the origin, the message
 * limit, and the legacy chat's polish (rename, task circles, other tabs).
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONVERSATION_NOT_FOUND_TEXT } from '../../web/src/chat/chat-copy';
import { CHATKIT_SCRIPT_TIMEOUT_MS } from '../../web/src/chat/chatkit/load-chatkit-script';
import { CHATKIT_SWITCHED_OFF_NOTICE, HANDOFF_SENT_NOTICE } from '../../web/src/flags/chat-decision';
import { SIGNED_OUT_ELSEWHERE_NOTICE } from '../../web/src/tabs/use-sign-out-across-tabs';
import { tooLongMessage } from '../../shared/origin';
import { FakeBackend, contractError, conversation, flags, json, sseResponse, sseStream, task } from './support/fake-backend';
import { chatkitCalls as chatkit, latestChatkitOptions, resetChatkitCalls } from './support/chatkit-react-mock';
import { renderApp } from './support/render';

vi.mock('@openai/chatkit-react', () => import('./support/chatkit-react-mock'));

const latestOptions = latestChatkitOptions;
const main = () => document.querySelector('main.app-main');
const input = () => screen.getByTestId('chat-input') as HTMLTextAreaElement;

let backend: FakeBackend;

beforeAll(() => {
  customElements.define('openai-chatkit', class extends HTMLElement {});
});

beforeEach(() => {
  resetChatkitCalls();
  backend = new FakeBackend().install();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

function userInput(text: string) {
  return { content: [{ type: 'input_text', text }], attachments: [], inference_options: {} };
}

/** What ChatKit's own code does: POST a protocol request through the page's `api.fetch`. */
async function chatkitCall(body: unknown): Promise<Response> {
  const { api } = latestOptions();
  if (!('fetch' in api) || !api.fetch) throw new Error('backend mode must have api.fetch');
  return api.fetch('/api/chatkit', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

async function renderChatKit(path = '/') {
  window.history.replaceState(null, '', path);
  backend.flags = flags({ variant: 'chatkit' });
  renderApp();
  await screen.findByTestId('chatkit-element');
}

function seedConversation(id: number, messages: Array<Record<string, unknown>> = []) {
  backend.conversations.push(conversation(id, `Chat ${id}`));
  backend.details.set(id, { ...conversation(id, `Chat ${id}`), messages: messages as never });
}

const reply = (conversationId: number, text: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: conversationId,
  message_id: 51,
  user_message_id: 50,
  response: text,
  tool_calls: [],
  ...extra,
});

describe('rollback in place: ChatKit hands over to the legacy chat without a reload', () => {
  it('a refused message in an open thread is sent from the legacy chat, in the same conversation', async () => {
    seedConversation(5, [{ id: 1, role: 'user', content: 'earlier', created_at: '2026-05-01T10:00:00.000Z' }]);
    backend.on('POST', '/api/chatkit', () => contractError('chatkit_disabled', 'ChatKit is turned off.'));
    backend.on('POST', '/api/v1/chat', () =>
      sseResponse([
        ['start', { conversation_id: 5, user_message_id: 2 }],
        ['done', reply(5, 'Sure.')],
      ]),
    );
    await renderChatKit('/chat/5');
    expect(latestOptions().initialThread).toBe('thr_5');

    const response = await act(() =>
      chatkitCall({ type: 'threads.add_user_message', params: { thread_id: 'thr_5', input: userInput('Add a task to call mom') } }),
    );
    expect(response.status).toBe(403);

    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    expect(main()).toHaveAttribute('data-variant-reason', 'chatkit_disabled');
    expect(window.location.pathname).toBe('/chat/5');
    await waitFor(() => expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1));
    expect(JSON.parse(backend.calls('POST', '/api/v1/chat')[0]!.body!)).toEqual({ message: 'Add a task to call mom', conversation_id: 5 });
    const list = screen.getByTestId('message-list');
    await waitFor(() => expect(list).toHaveTextContent(/earlier[\s\S]*Add a task to call mom[\s\S]*Sure\./));

    const notice = screen.getByTestId('chat-fallback-notice');
    expect(notice).toHaveTextContent(CHATKIT_SWITCHED_OFF_NOTICE);
    expect(notice).toHaveTextContent(HANDOFF_SENT_NOTICE);
    fireEvent.click(screen.getByTestId('dismiss-notice'));
    expect(screen.queryByTestId('chat-fallback-notice')).not.toBeInTheDocument();
    expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1); // sent once, however often it renders
  });

  it('a refused first message starts a new conversation in the legacy chat', async () => {
    backend.on('POST', '/api/chatkit', () => contractError('chatkit_not_configured'));
    backend.on('POST', '/api/v1/chat', () =>
      sseResponse([
        ['start', { conversation_id: 8, user_message_id: 2 }],
        ['done', reply(8, 'Hello!')],
      ]),
    );
    await renderChatKit('/');
    await act(() => chatkitCall({ type: 'threads.create', params: { input: userInput('hi there') } }));
    await screen.findByTestId('legacy-chat');
    await waitFor(() => expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1));
    expect(JSON.parse(backend.calls('POST', '/api/v1/chat')[0]!.body!)).toEqual({ message: 'hi there' });
    await waitFor(() => expect(window.location.pathname).toBe('/chat/8'));
  });

  it('any refused call switches (opening history too), without sending anything', async () => {
    seedConversation(3);
    backend.on('POST', '/api/chatkit', () => contractError('chatkit_disabled'));
    await renderChatKit('/chat/3');
    await act(() => chatkitCall({ type: 'threads.get_by_id', params: { thread_id: 'thr_3' } }));
    await screen.findByTestId('legacy-chat');
    await waitFor(() => expect(backend.calls('GET', '/api/v1/conversations/3')).toHaveLength(1));
    expect(screen.getByTestId('chat-fallback-notice')).not.toHaveTextContent(HANDOFF_SENT_NOTICE);
    expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(0);
  });

  it('reads the flags again when the tab becomes visible, and switches only ChatKit → legacy', async () => {
    seedConversation(4);
    await renderChatKit('/chat/4');
    const flagCalls = () => backend.calls('GET', '/api/flags').length;
    const before = flagCalls();
    backend.flags = flags({ variant: 'legacy', chat: { variant: 'legacy', reason: 'rollback' } });
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await screen.findByTestId('legacy-chat');
    expect(flagCalls()).toBe(before + 1);
    await waitFor(() => expect(backend.calls('GET', '/api/v1/conversations/4')).toHaveLength(1));

    // Legacy now, even if the rollout comes back: ChatKit waits for the next load.
    backend.flags = flags({ variant: 'chatkit' });
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(flagCalls()).toBe(before + 1);
    expect(screen.getByTestId('legacy-chat')).toBeInTheDocument();
  });

  it('gives up on a ChatKit script that hangs within 4 seconds (the reason is in the notice: chatkit-fallback.test.tsx)', async () => {
    expect(CHATKIT_SCRIPT_TIMEOUT_MS).toBeLessThanOrEqual(4_000);
  });
});

describe('per-chat URLs', () => {
  it('legacy: the URL opens a conversation, a click pushes one, Back goes back', async () => {
    seedConversation(1, [{ id: 11, role: 'user', content: 'first chat', created_at: '2026-05-01T10:00:00.000Z' }]);
    seedConversation(2, [{ id: 21, role: 'user', content: 'second chat', created_at: '2026-05-02T10:00:00.000Z' }]);
    window.history.replaceState(null, '', '/chat/2');
    renderApp();
    await waitFor(() => expect(screen.getByTestId('message-list')).toHaveTextContent('second chat'));

    const first = (await screen.findAllByTestId('conversation-item')).find((item) => item.dataset.conversationId === '1')!;
    fireEvent.click(within(first).getByText('Chat 1'));
    await waitFor(() => expect(screen.getByTestId('message-list')).toHaveTextContent('first chat'));
    expect(window.location.pathname).toBe('/chat/1');

    act(() => {
      window.history.back();
    });
    await waitFor(() => expect(window.location.pathname).toBe('/chat/2'));
    await waitFor(() => expect(screen.getByTestId('message-list')).toHaveTextContent('second chat'));

    fireEvent.click(screen.getByTestId('new-chat'));
    expect(window.location.pathname).toBe('/');
    expect(screen.getByTestId('welcome-message')).toBeInTheDocument();
  });

  it("legacy: another user's (or a missing) conversation says not found, nothing else", async () => {
    window.history.replaceState(null, '', '/chat/99');
    renderApp();
    const notFound = await screen.findByTestId('conversation-not-found');
    expect(notFound).toHaveTextContent(CONVERSATION_NOT_FOUND_TEXT);
    expect(within(notFound).queryByRole('button')).not.toBeInTheDocument();
  });

  it('ChatKit: initialThread from the URL, onThreadChange writes it, Back opens the earlier thread', async () => {
    await renderChatKit('/chat/7');
    expect(latestOptions().initialThread).toBe('thr_7');
    act(() => latestOptions().onThreadChange?.({ threadId: 'thr_7' }));
    act(() => latestOptions().onThreadChange?.({ threadId: 'thr_9' }));
    expect(window.location.pathname).toBe('/chat/9');
    act(() => {
      window.history.back();
    });
    await waitFor(() => expect([window.location.pathname, chatkit.threadIds]).toEqual(['/chat/7', ['thr_7']]));
    act(() => latestOptions().onThreadChange?.({ threadId: null }));
    expect(window.location.pathname).toBe('/');
  });

  it('ChatKit: a thread that is not found says so', async () => {
    backend.on('POST', '/api/chatkit', () => contractError('not_found', 'Thread not found.'));
    await renderChatKit('/chat/42');
    await act(() => chatkitCall({ type: 'threads.get_by_id', params: { thread_id: 'thr_42' } }));
    expect(await screen.findByTestId('conversation-not-found')).toHaveTextContent(CONVERSATION_NOT_FOUND_TEXT);
  });
});

describe('history, retry and stop in the legacy chat', () => {
  it('shows the tool steps and a stopped answer of a reopened conversation', async () => {
    seedConversation(6, [
      { id: 1, role: 'user', content: 'add a task to buy milk', created_at: '2026-05-01T10:00:00.000Z' },
      {
        id: 2,
        role: 'assistant',
        content: 'Added "buy milk".',
        created_at: '2026-05-01T10:00:01.000Z',
        tool_calls: [{ name: 'add_task', arguments: { title: 'buy milk' }, result: {} }],
      },
      { id: 3, role: 'user', content: 'show my tasks', created_at: '2026-05-01T10:00:02.000Z' },
      { id: 4, role: 'assistant', content: 'You have', created_at: '2026-05-01T10:00:03.000Z', interrupted: true },
      { id: 5, role: 'user', content: 'hello', created_at: '2026-05-01T10:00:04.000Z' },
      { id: 6, role: 'assistant', content: 'Hi, no tools.', created_at: '2026-05-01T10:00:05.000Z' },
    ]);
    window.history.replaceState(null, '', '/chat/6');
    renderApp();
    const answers = await screen.findAllByTestId('message-assistant');
    expect(answers[0]).toHaveTextContent('Used: add task');
    expect(within(answers[1]!).getByTestId('message-stopped')).toHaveTextContent('Stopped');
    expect(answers[2]).not.toHaveTextContent('Used:');
    expect(within(answers[2]!).queryByTestId('message-stopped')).not.toBeInTheDocument();
  });

  it('Retry after a failure asks the origin to answer the stored question again (never sends it twice)', async () => {
    seedConversation(2, []);
    let attempt = 0;
    backend.on('POST', '/api/v1/chat', () => {
      attempt += 1;
      return attempt === 1
        ? sseResponse([
            ['start', { conversation_id: 2, user_message_id: 70 }],
            ['delta', { text: 'Let me ' }],
            ['error', { message: 'The assistant failed.' }],
          ])
        : sseResponse([
            ['start', { conversation_id: 2, user_message_id: 70 }],
            ['done', reply(2, 'All good now.', { user_message_id: 70 })],
          ]);
    });
    window.history.replaceState(null, '', '/chat/2');
    renderApp();
    await screen.findByTestId('welcome-message');
    fireEvent.change(input(), { target: { value: 'show my tasks' } });
    fireEvent.keyDown(input(), { key: 'Enter' });
    fireEvent.click(await screen.findByTestId('retry-send'));
    await waitFor(() => expect(screen.getByTestId('message-list')).toHaveTextContent('All good now.'));
    const [, retry] = backend.calls('POST', '/api/v1/chat');
    expect(JSON.parse(retry!.body!)).toEqual({ conversation_id: 2, retry_of_message_id: 70 });
    expect(screen.getAllByTestId('message-user')).toHaveLength(1);
    expect(screen.getByTestId('message-list')).not.toHaveTextContent('Let me');
  });

  it('Stop ends the answer, keeps what was shown, marked stopped', async () => {
    const stream = sseStream();
    backend.on('POST', '/api/v1/chat', () => stream.response);
    renderApp();
    await screen.findByTestId('welcome-message');
    fireEvent.change(input(), { target: { value: 'show my tasks' } });
    fireEvent.keyDown(input(), { key: 'Enter' });
    await waitFor(() => expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1));
    await act(async () => {
      stream.send('start', { conversation_id: 3, user_message_id: 1 });
      stream.send('delta', { text: 'You have 3 ' });
    });
    await waitFor(() => expect(screen.getByTestId('message-list')).toHaveTextContent('You have 3'));
    fireEvent.click(screen.getByTestId('stop-button'));
    const answer = screen.getAllByTestId('message-assistant').at(-1)!;
    expect(answer).toHaveTextContent('You have 3');
    expect(within(answer).getByTestId('message-stopped')).toBeInTheDocument();
    expect(screen.getByTestId('send-button')).toBeInTheDocument();
    expect(screen.queryByTestId('chat-error')).not.toBeInTheDocument();
  });
});

describe('the 4,000-character limit, said before sending', () => {
  it('counts down near the limit, refuses past it without cutting the text', async () => {
    renderApp();
    await screen.findByTestId('welcome-message');
    const limit = screen.getByTestId('composer-limit');
    fireEvent.change(input(), { target: { value: 'x'.repeat(100) } });
    expect(limit.hidden).toBe(true);
    fireEvent.change(input(), { target: { value: 'x'.repeat(3_600) } });
    expect(limit.hidden).toBe(false);
    expect(limit).toHaveTextContent('3,600 / 4,000 characters');
    expect(screen.getByTestId('send-button')).toBeEnabled();

    const paste = 'y'.repeat(4_100);
    fireEvent.change(input(), { target: { value: paste } });
    expect(input().value).toBe(paste);
    expect(limit).toHaveAttribute('role', 'alert');
    expect(limit).toHaveTextContent(tooLongMessage(4_100));
    expect(screen.getByTestId('send-button')).toBeDisabled();
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(0);
  });
});

describe('legacy polish', () => {
  it('renames a conversation from the sidebar', async () => {
    seedConversation(1);
    backend.on('PATCH', '/api/v1/conversations/:id', (request) => {
      const { title } = JSON.parse(request.body!) as { title: string };
      backend.conversations = [conversation(1, title)];
      return json(conversation(1, title));
    });
    renderApp();
    fireEvent.click(await screen.findByTestId('rename-conversation'));
    const field = screen.getByTestId('rename-input') as HTMLInputElement;
    expect(field.value).toBe('Chat 1');
    fireEvent.change(field, { target: { value: '  Groceries  ' } });
    fireEvent.click(screen.getByTestId('rename-save'));
    await waitFor(() => expect(screen.getByTestId('conversation-item')).toHaveTextContent('Groceries'));
    expect(JSON.parse(backend.calls('PATCH', '/api/v1/conversations/1')[0]!.body!)).toEqual({ title: 'Groceries' });
    expect(screen.queryByTestId('rename-input')).not.toBeInTheDocument();
  });

  it('task circles complete and reopen tasks', async () => {
    backend.tasks = [task(1, 'buy milk'), task(2, 'call mom', true)];
    backend.on('PATCH', '/api/v1/tasks/:id', (request) => {
      const id = Number(request.path.split('/').pop());
      const { completed } = JSON.parse(request.body!) as { completed: boolean };
      backend.tasks = backend.tasks.map((item) => (item.id === id ? { ...item, completed } : item));
      return json(backend.tasks.find((item) => item.id === id));
    });
    renderApp();
    const complete = await screen.findByRole('button', { name: 'Complete “buy milk”' });
    expect(complete).toHaveAttribute('aria-pressed', 'false');
    fireEvent.click(complete);
    await screen.findByRole('button', { name: 'Reopen “buy milk”' });
    fireEvent.click(screen.getByRole('button', { name: 'Reopen “call mom”' }));
    await screen.findByRole('button', { name: 'Complete “call mom”' });
    expect(backend.calls('PATCH', '/api/v1/tasks/1').map((call) => JSON.parse(call.body!))).toEqual([{ completed: true }]);
    expect(backend.calls('PATCH', '/api/v1/tasks/2').map((call) => JSON.parse(call.body!))).toEqual([{ completed: false }]);
  });

  it('another tab: a task change reloads the task panel; a sign-out signs this tab out', async () => {
    renderApp();
    await screen.findByText('No tasks yet. Ask the assistant to add one.');
    const otherTab = new BroadcastChannel('calm-orbit');
    backend.tasks = [task(1, 'from the other tab')];
    otherTab.postMessage({ type: 'tasks-changed' });
    expect(await screen.findByText('from the other tab')).toBeInTheDocument();

    otherTab.postMessage({ type: 'signed-out' });
    expect(await screen.findByText(SIGNED_OUT_ELSEWHERE_NOTICE)).toBeInTheDocument();
    otherTab.close();
  });

  it('signing out here tells the other tabs', async () => {
    renderApp();
    await screen.findByTestId('legacy-chat');
    const otherTab = new BroadcastChannel('calm-orbit');
    const heard: unknown[] = [];
    otherTab.onmessage = (event) => heard.push(event.data);
    fireEvent.click(screen.getByTestId('sign-out'));
    await waitFor(() => expect(heard).toEqual([{ type: 'signed-out' }]));
    otherTab.close();
  });
});
