import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import LegacyChatPage from '../../web/src/chat/legacy/LegacyChatPage';
import { TaskPanel } from '../../web/src/tasks/TaskPanel';
import { WELCOME_TEXT } from '../../web/src/chat/chat-copy';
import { FakeBackend, bearerOf, contractError, conversation, sseResponse, sseStream, task } from './support/fake-backend';
import { renderSignedIn } from './support/render';

let backend: FakeBackend;

beforeEach(() => {
  backend = new FakeBackend().install();
});

function renderChat() {
  return renderSignedIn(
    <>
      <LegacyChatPage />
      <TaskPanel />
    </>,
  );
}

const input = () => screen.getByTestId('chat-input') as HTMLTextAreaElement;

function type(text: string) {
  fireEvent.change(input(), { target: { value: text } });
}

/** An assistant message in the list (the live-region announcer repeats the text, so look in the list). */
async function findAssistantMessage(text: string): Promise<HTMLElement> {
  return waitFor(() => {
    const match = screen.getAllByTestId('message-assistant').find((message) => message.textContent?.includes(text));
    if (!match) throw new Error(`No assistant message says ${JSON.stringify(text)}`);
    return match;
  });
}

function reply(conversationId: number, text: string, extra: Record<string, unknown> = {}) {
  return { conversation_id: conversationId, message_id: 11, user_message_id: 10, response: text, tool_calls: [], ...extra };
}

describe('welcome and suggestions', () => {
  it('greets with the seed text and sends an example prompt when it is clicked', async () => {
    backend.on('POST', '/api/v1/chat', () =>
      sseResponse([
        ['start', { conversation_id: 1 }],
        ['done', reply(1, 'Added "buy groceries".')],
      ]),
    );
    renderChat();

    expect(screen.getByTestId('welcome-message')).toHaveTextContent(WELCOME_TEXT);
    const suggestions = screen.getAllByTestId('suggestion');
    expect(suggestions.map((button) => button.textContent)).toEqual(['Add a task to buy groceries', 'Show me my tasks']);

    fireEvent.click(suggestions[0]!);
    expect(await findAssistantMessage('Added "buy groceries".')).toBeInTheDocument();
    const [chat] = backend.calls('POST', '/api/v1/chat');
    expect(JSON.parse(chat!.body!)).toEqual({ message: 'Add a task to buy groceries' });
    expect(chat!.headers.get('accept')).toBe('text/event-stream');
    expect(bearerOf(chat)).toBe(backend.issuedTokens[0]);
  });
});

describe('composer', () => {
  it('sends on Enter and clears the box; Shift+Enter does not send', async () => {
    backend.on('POST', '/api/v1/chat', () =>
      sseResponse([
        ['start', { conversation_id: 3 }],
        ['done', reply(3, 'Here are your tasks.')],
      ]),
    );
    renderChat();

    type('Show me my tasks');
    fireEvent.keyDown(input(), { key: 'Enter', shiftKey: true });
    // Sending would clear the box and show the message at once; neither happened.
    expect(input().value).toBe('Show me my tasks');
    expect(screen.queryByTestId('message-user')).not.toBeInTheDocument();

    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(await findAssistantMessage('Here are your tasks.')).toBeInTheDocument();
    expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1);
    expect(input().value).toBe('');
    expect(within(screen.getByTestId('message-list')).getByTestId('message-user')).toHaveTextContent('Show me my tasks');
  });

  it('has a label and blocks sending while an answer is streaming', async () => {
    const stream = sseStream();
    backend.on('POST', '/api/v1/chat', () => stream.response);
    renderChat();

    expect(screen.getByLabelText('Message the assistant')).toBe(input());
    type('First');
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1));

    type('Second');
    // While it streams, Send is Stop.
    expect(screen.queryByTestId('send-button')).not.toBeInTheDocument();
    expect(screen.getByTestId('stop-button')).toBeEnabled();
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(input().value).toBe('Second');
    expect(screen.getAllByTestId('message-user')).toHaveLength(1);
    await act(async () => {
      stream.send('done', reply(1, 'Done.'));
      stream.close();
    });
    await waitFor(() => expect(screen.getByTestId('send-button')).toBeEnabled());
    expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1);
  });
});

describe('streaming', () => {
  it('shows the answer as deltas arrive, then finalises it, refreshes the sidebar and the tasks', async () => {
    const stream = sseStream();
    backend.on('POST', '/api/v1/chat', () => stream.response);
    renderChat();
    await screen.findByText('No tasks yet. Ask the assistant to add one.');

    type('Add a task to buy groceries');
    fireEvent.keyDown(input(), { key: 'Enter' });
    await waitFor(() => expect(backend.calls('POST', '/api/v1/chat')).toHaveLength(1));

    // The server numbers the new conversation: it appears in the sidebar right away.
    backend.conversations = [conversation(7, 'Add a task to buy groceries')];
    await act(async () => stream.send('start', { conversation_id: 7, user_message_id: 1 }));
    expect(await screen.findByTestId('conversation-item')).toHaveTextContent('Add a task to buy groceries');

    await act(async () => stream.send('tool', { name: 'add_task', arguments: { title: 'buy groceries' } }));
    await act(async () => stream.send('delta', { text: 'Sure, ' }));
    const assistant = await screen.findByTestId('message-assistant');
    await waitFor(() => expect(assistant).toHaveTextContent('Sure,'));
    expect(assistant).toHaveAttribute('data-streaming', 'true');
    expect(screen.getByTestId('assistant-announcer')).toHaveTextContent('');

    await act(async () => stream.send('delta', { text: 'I added "buy groceries".' }));
    await waitFor(() => expect(assistant).toHaveTextContent('Sure, I added "buy groceries".'));
    expect(assistant).toHaveAttribute('data-streaming', 'true');

    backend.tasks = [task(1, 'buy groceries')];
    const taskCallsBefore = backend.calls('GET', '/api/v1/tasks').length;
    await act(async () => {
      stream.send('done', reply(7, 'Sure, I added "buy groceries".', { tool_calls: [{ name: 'add_task', arguments: {}, result: {} }] }));
      stream.close();
    });
    await waitFor(() => expect(assistant).not.toHaveAttribute('data-streaming'));
    expect(assistant).toHaveTextContent('Used: add task');
    expect(screen.getByTestId('assistant-announcer')).toHaveTextContent('Sure, I added "buy groceries".');
    expect(await screen.findByTestId('task-item')).toHaveTextContent('buy groceries');
    expect(backend.calls('GET', '/api/v1/tasks').length).toBe(taskCallsBefore + 1);
    expect(screen.getByTestId('conversation-item')).toHaveClass('conversation--active');
  });

  it('shows an error event inline, keeps the partial answer, and Retry sends the message again', async () => {
    let attempt = 0;
    backend.on('POST', '/api/v1/chat', () =>
      ++attempt === 1
        ? sseResponse([
            ['start', { conversation_id: 4 }],
            ['delta', { text: 'I was about to' }],
            ['error', { message: 'The assistant failed.' }],
          ])
        : sseResponse([
            ['start', { conversation_id: 4 }],
            ['done', reply(4, 'All done this time.')],
          ]),
    );
    renderChat();

    type('Add a task');
    fireEvent.keyDown(input(), { key: 'Enter' });
    const error = await screen.findByTestId('chat-error');
    expect(error).toHaveAttribute('role', 'alert');
    expect(error).toHaveTextContent('The assistant failed.');
    expect(screen.getByTestId('message-assistant')).toHaveTextContent('I was about to');

    fireEvent.click(screen.getByTestId('retry-send'));
    expect(await findAssistantMessage('All done this time.')).toBeInTheDocument();
    expect(screen.queryByTestId('chat-error')).not.toBeInTheDocument();
    const [, second] = backend.calls('POST', '/api/v1/chat');
    // The first attempt got as far as `start`, so the retry stays in that conversation.
    expect(JSON.parse(second!.body!)).toEqual({ message: 'Add a task', conversation_id: 4 });
    expect(screen.getAllByTestId('message-user')).toHaveLength(1);
  });

  it('explains an HTTP error from the worker (rate limited) instead of failing silently', async () => {
    backend.on('POST', '/api/v1/chat', () => contractError('rate_limited', 'Too many requests.', { 'Retry-After': '20' }));
    renderChat();
    type('Hello');
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(await screen.findByTestId('chat-error')).toHaveTextContent('Please wait 20 seconds and try again.');
  });

  it('says so when the stream ends without a done event', async () => {
    backend.on('POST', '/api/v1/chat', () =>
      sseResponse([
        ['start', { conversation_id: 5 }],
        ['delta', { text: 'Half' }],
      ]),
    );
    renderChat();
    type('Hello');
    fireEvent.keyDown(input(), { key: 'Enter' });
    expect(await screen.findByTestId('chat-error')).toHaveTextContent('The connection closed before the answer was complete.');
  });

  it('says the same when the stream breaks mid-answer with a network error (not "couldn\'t reach the server")', async () => {
    const stream = sseStream();
    backend.on('POST', '/api/v1/chat', () => stream.response);
    renderChat();
    type('Hello');
    fireEvent.keyDown(input(), { key: 'Enter' });
    stream.send('start', { conversation_id: 6 });
    stream.send('delta', { text: 'Half' });
    expect(await screen.findByText('Half')).toBeInTheDocument();
    stream.fail(new TypeError('network error'));
    expect(await screen.findByTestId('chat-error')).toHaveTextContent('The connection closed before the answer was complete.');
  });
});

describe('sidebar', () => {
  beforeEach(() => {
    backend.conversations = [conversation(1, 'Groceries'), conversation(2, 'Weekend plans')];
    backend.details.set(2, {
      ...conversation(2, 'Weekend plans'),
      messages: [
        { id: 21, role: 'user', content: 'Plan my weekend', created_at: '2026-05-02T10:00:00.000Z' },
        { id: 22, role: 'assistant', content: 'Here is a plan.', created_at: '2026-05-02T10:00:01.000Z' },
      ],
    });
  });

  it('lists conversations (latest first), opens one, and New chat goes back to the welcome', async () => {
    renderChat();
    const items = await screen.findAllByTestId('conversation-item');
    expect(items.map((item) => item.querySelector('.conversation-title')?.textContent)).toEqual(['Weekend plans', 'Groceries']);

    fireEvent.click(within(items[0]!).getByRole('button', { name: /^Weekend plans/ }));
    expect(await findAssistantMessage('Here is a plan.')).toBeInTheDocument();
    expect(screen.getByTestId('message-user')).toHaveTextContent('Plan my weekend');
    expect(within(items[0]!).getByRole('button', { name: /^Weekend plans/ })).toHaveAttribute('aria-current', 'page');
    expect(screen.queryByTestId('welcome-message')).not.toBeInTheDocument();

    fireEvent.click(screen.getByTestId('new-chat'));
    expect(screen.getByTestId('welcome-message')).toBeInTheDocument();
    expect(document.activeElement).toBe(input());
  });

  it('asks before deleting: Cancel keeps the conversation, Delete removes it', async () => {
    renderChat();
    const [weekend] = await screen.findAllByTestId('conversation-item');
    const deleteButton = within(weekend!).getByRole('button', { name: 'Delete conversation “Weekend plans”' });
    expect(deleteButton).toHaveAttribute('data-testid', 'delete-conversation');

    fireEvent.click(deleteButton);
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this conversation?' });
    expect(document.activeElement).toBe(within(dialog).getByTestId('cancel-delete'));
    fireEvent.click(within(dialog).getByTestId('cancel-delete'));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(document.activeElement).toBe(deleteButton); // focus goes back where it came from
    expect(backend.calls('DELETE', '/api/v1/conversations/2')).toHaveLength(0);

    fireEvent.click(deleteButton);
    fireEvent.keyDown(screen.getByRole('alertdialog'), { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();

    fireEvent.click(deleteButton);
    fireEvent.click(screen.getByTestId('confirm-delete'));
    await waitFor(() => expect(screen.getAllByTestId('conversation-item')).toHaveLength(1));
    expect(backend.calls('DELETE', '/api/v1/conversations/2')).toHaveLength(1);
    expect(screen.getByTestId('conversation-item')).toHaveTextContent('Groceries');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(document.activeElement).toBe(screen.getByTestId('new-chat'));
  });

  it('deleting the open conversation starts a new chat', async () => {
    renderChat();
    const [weekend] = await screen.findAllByTestId('conversation-item');
    fireEvent.click(within(weekend!).getByRole('button', { name: /^Weekend plans/ }));
    await findAssistantMessage('Here is a plan.');

    fireEvent.click(within(weekend!).getByTestId('delete-conversation'));
    fireEvent.click(screen.getByTestId('confirm-delete'));
    expect(await screen.findByTestId('welcome-message')).toBeInTheDocument();
    expect(screen.queryByText('Here is a plan.')).not.toBeInTheDocument();
  });

  it('keeps the dialog open with the reason when the delete fails', async () => {
    backend.on('DELETE', '/api/v1/conversations/:id', () => contractError('upstream_error'));
    renderChat();
    const [weekend] = await screen.findAllByTestId('conversation-item');
    fireEvent.click(within(weekend!).getByTestId('delete-conversation'));
    fireEvent.click(screen.getByTestId('confirm-delete'));
    const dialog = screen.getByRole('alertdialog');
    expect(await within(dialog).findByRole('alert')).toHaveTextContent("Couldn't delete it. The assistant is unavailable right now.");
    expect(screen.getAllByTestId('conversation-item')).toHaveLength(2);
  });

  it('shows a load error with a way to try again', async () => {
    let calls = 0;
    backend.on('GET', '/api/v1/conversations', () => (++calls === 1 ? contractError('upstream_timeout') : Response.json([conversation(1, 'Groceries')])));
    renderChat();
    const sidebar = screen.getByTestId('chat-sidebar');
    expect(await within(sidebar).findByRole('alert')).toHaveTextContent("Couldn't load your conversations.");
    fireEvent.click(within(sidebar).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('conversation-item')).toHaveTextContent('Groceries');
  });
});
