import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend, bearerOf, contractError, flags, json } from './support/fake-backend';
import { renderApp } from './support/render';

let backend: FakeBackend;

beforeEach(() => {
  backend = new FakeBackend().install();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

const main = () => document.querySelector('main.app-main');

describe('boot', () => {
  it('asks /api/flags once, with the Bearer token, and shows the legacy chat it chose', async () => {
    backend.flags = flags({ variant: 'legacy', chat: { variant: 'legacy', reason: 'rollback' }, rollback: true });
    const { rerender } = renderApp();

    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    expect(main()).toHaveAttribute('data-chat-variant', 'legacy');
    expect(main()).toHaveAttribute('data-variant-reason', 'rollback');
    expect(screen.getByTestId('task-panel')).toBeInTheDocument();
    expect(screen.getByTestId('account-name')).toHaveTextContent('Ada Lovelace');

    rerender(<></>);
    const flagCalls = backend.calls('GET', '/api/flags');
    expect(flagCalls).toHaveLength(1);
    expect(bearerOf(flagCalls[0])).toBe(backend.issuedTokens[0]);
  });

  it('shows a skeleton, never a blank page, while the flags are on their way', async () => {
    let answer!: (response: Response) => void;
    backend.on('GET', '/api/flags', () => new Promise<Response>((resolve) => (answer = resolve)));
    renderApp();
    expect(await screen.findByTestId('chat-skeleton')).toBeInTheDocument();
    expect(main()).not.toHaveAttribute('data-chat-variant');
    answer(json(flags()));
    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
  });

  it.each([
    ['a 500', () => contractError('internal')],
    ['a body that breaks the contract', () => json({ chat: { variant: 'chatkit' } })],
    ['a network failure', () => Promise.reject(new TypeError('Failed to fetch'))],
  ])('falls back to the legacy chat when /api/flags answers %s', async (_case, answer) => {
    backend.on('GET', '/api/flags', answer);
    renderApp();
    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    expect(main()).toHaveAttribute('data-chat-variant', 'legacy');
    expect(main()).toHaveAttribute('data-variant-reason', 'flags_unavailable');
  });

  it('refuses a ChatKit backend config without a domain key and shows the legacy chat', async () => {
    backend.flags = flags({ variant: 'chatkit', chatkit: { mode: 'backend', api_url: '/api/chatkit', domain_key: '' } });
    renderApp();
    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    expect(main()).toHaveAttribute('data-variant-reason', 'chatkit_not_configured');
  });
});

describe('signing in and out', () => {
  beforeEach(() => {
    backend.signedIn = false;
  });

  it('shows the sign-in form without a session, then the chat after signing in', async () => {
    renderApp();
    expect(await screen.findByTestId('sign-in-form')).toBeInTheDocument();
    expect(backend.calls('GET', '/api/flags')).toHaveLength(0);

    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.submit(screen.getByTestId('sign-in-form'));

    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    const [signIn] = backend.calls('POST', '/api/auth/sign-in/email');
    expect(JSON.parse(signIn!.body!)).toMatchObject({ email: 'ada@example.test', password: 'correct horse' });
    const flagCalls = backend.calls('GET', '/api/flags');
    expect(flagCalls).toHaveLength(1);
    expect(bearerOf(flagCalls[0])).toBe(backend.issuedTokens.at(-1));
  });

  it('says clearly when the password is wrong', async () => {
    backend.on('POST', '/api/auth/sign-in/email', () => json({ code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email or password' }, 401));
    renderApp();
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'ada@example.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.submit(screen.getByTestId('sign-in-form'));
    expect(await screen.findByRole('alert')).toHaveTextContent('That email and password do not match an account.');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  });

  it('creates an account with name, email and password', async () => {
    renderApp();
    fireEvent.click(await screen.findByRole('button', { name: 'Create an account' }));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Ada Lovelace' } });
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'analytical engine' } });
    fireEvent.submit(screen.getByTestId('sign-up-form'));

    expect(await screen.findByTestId('legacy-chat')).toBeInTheDocument();
    const [signUp] = backend.calls('POST', '/api/auth/sign-up/email');
    expect(JSON.parse(signUp!.body!)).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.test', password: 'analytical engine' });
  });

  it('signs out back to the sign-in page and ends the server session', async () => {
    backend.signedIn = true;
    renderApp();
    fireEvent.click(await screen.findByTestId('sign-out'));
    expect(await screen.findByTestId('sign-in-form')).toBeInTheDocument();
    await waitFor(() => expect(backend.calls('POST', '/api/auth/sign-out')).toHaveLength(1));
  });

  it('sends the user to sign-in with a notice when the worker keeps refusing the token', async () => {
    backend.signedIn = true;
    backend.on('GET', '/api/v1/tasks', () => contractError('unauthorized'));
    renderApp();
    expect(await screen.findByTestId('auth-notice')).toHaveTextContent('Your session has expired. Please sign in again.');
    expect(screen.getByTestId('sign-in-form')).toBeInTheDocument();
  });
});
