/**
 * The reference origin through real HTTP: Better Auth + JWT, the `/api/v1` contract (checked
 * against the shared valibot schemas the worker and SPA use), SSE streaming, request recording
 * and the misbehaving test routes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ChatReplySchema,
  ChatStreamEventSchemas,
  ConversationDetailSchema,
  ConversationListSchema,
  ConversationSchema,
  TaskListSchema,
  TaskSchema,
  type ChatStreamEventName,
} from '../../shared/origin';
import type { EchoReply } from '../../origin/routes/test-routes';
import { readSseEvents, signUpAndGetToken, type SseEvent } from '../../origin/client';
import type { RecordedRequest } from '../../origin/recorder';
import { startOrigin, type RunningOrigin } from '../../origin/server';

const CHUNK_DELAY_MS = 20;
const WORKER_URL = 'http://127.0.0.1:8787';

/** Far longer than any test: the second chunk of a stream from `pausingOrigin` never comes while a test runs. */
const NEVER_MS = 600_000;

let origin: RunningOrigin;
let plainOrigin: RunningOrigin;
let pausingOrigin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin({ testRoutes: true, chunkDelayMs: CHUNK_DELAY_MS, publicUrls: [WORKER_URL] });
  plainOrigin = await startOrigin();
  pausingOrigin = await startOrigin({ chunkDelayMs: NEVER_MS });
});

afterAll(async () => {
  await Promise.all([origin?.close(), plainOrigin?.close(), pausingOrigin?.close()]);
});

// --- helpers ---------------------------------------------------------------------------------

let userCounter = 0;
const newUserId = (): string => `user-${++userCounter}-${Math.random().toString(36).slice(2, 8)}`;

async function api(
  userId: string | undefined,
  path: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (userId !== undefined) headers['x-user-id'] = userId;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  return fetch(`${origin.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

async function json<T = unknown>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await json<{ error: { code: string; message: string } }>(response);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
}

async function chat(userId: string, message: string, conversationId?: number): Promise<v.InferOutput<typeof ChatReplySchema>> {
  const response = await api(userId, '/api/v1/chat', { body: { message, ...(conversationId ? { conversation_id: conversationId } : {}) } });
  expect(response.status).toBe(200);
  return v.parse(ChatReplySchema, await response.json());
}

async function streamChat(userId: string, body: Record<string, unknown>): Promise<{ response: Response; events: SseEvent[] }> {
  const response = await api(userId, '/api/v1/chat', { body, headers: { accept: 'text/event-stream' } });
  return { response, events: await readSseEvents(response) };
}

async function tasksOf(userId: string): Promise<v.InferOutput<typeof TaskListSchema>> {
  return v.parse(TaskListSchema, await (await api(userId, '/api/v1/tasks')).json());
}

async function recorded(server: RunningOrigin = origin): Promise<RecordedRequest[]> {
  return json<RecordedRequest[]>(await fetch(`${server.url}/__origin/requests`));
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A request through node:http, which sends the path exactly as given (fetch would normalise it). */
function rawRequest(path: string, headers: OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin.url}/`, { path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const isIso = (value: unknown): boolean => typeof value === 'string' && new Date(value).toISOString() === value;

// --- control endpoints and recording ---------------------------------------------------------

describe('control endpoints and request recording', () => {
  beforeEach(async () => {
    expect((await fetch(`${origin.url}/__origin/reset`, { method: 'POST' })).status).toBe(200);
  });

  it('answers health', async () => {
    const response = await fetch(`${origin.url}/__origin/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('records the raw path, every header (lower-cased, repeats kept) and the status', async () => {
    const { status } = await rawRequest('/api/v1/../../secret/%2e%2e/x?q=1&q=2', {
      'X-User-Id': ['alice', 'mallory'],
      Authorization: 'Bearer abc',
      'X-Custom-Header': 'Yes',
    });
    expect(status).toBe(404);
    const [entry, ...others] = await recorded();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      method: 'GET',
      path: '/api/v1/../../secret/%2e%2e/x?q=1&q=2',
      aborted: false,
      status: 404,
    });
    expect(entry?.headers).toMatchObject({ 'x-user-id': 'alice, mallory', authorization: 'Bearer abc', 'x-custom-header': 'Yes' });
    expect(isIso(entry?.at)).toBe(true);
  });

  it('records requests Node-level parsing rejects (backslashes) and keeps control calls out', async () => {
    const { status } = await rawRequest('/api/v1/..\\..\\etc');
    expect(status).toBe(400);
    await fetch(`${origin.url}/__origin/health`);
    expect((await recorded()).map((entry) => entry.path)).toEqual(['/api/v1/..\\..\\etc']);
  });

  it('reset clears the recording', async () => {
    await fetch(`${origin.url}/api/v1/tasks`);
    expect(await recorded()).toHaveLength(1);
    await fetch(`${origin.url}/__origin/reset`, { method: 'POST' });
    expect(await recorded()).toEqual([]);
    expect(origin.state.requests).toEqual([]);
  });

  it('marks a request aborted when the client leaves before the response finished', async () => {
    const controller = new AbortController();
    const pending = fetch(`${origin.url}/api/v1/__test/hang`, { signal: controller.signal });
    await waitFor(async () => ((await recorded()).length === 1 ? true : undefined), 'the hang request');
    controller.abort();
    await expect(pending).rejects.toThrow();
    const entry = await waitFor(async () => (await recorded()).find((request) => request.aborted), 'aborted flag');
    expect(entry).toMatchObject({ path: '/api/v1/__test/hang', aborted: true, status: null });
  });
});

// --- Better Auth -----------------------------------------------------------------------------

describe('Better Auth with the JWT plugin', () => {
  it('signs up, issues an EdDSA JWT verifiable with the JWKS (iss = aud = origin URL, 15 min)', async () => {
    const user = await signUpAndGetToken(origin.url);
    expect(user.cookie).toMatch(/better-auth\.session_token=/);
    expect(user.email).toMatch(/@example\.test$/);

    const jwks = createRemoteJWKSet(new URL(`${origin.url}/api/auth/jwks`));
    const { payload, protectedHeader } = await jwtVerify(user.token, jwks, { issuer: origin.url, audience: origin.url });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.sub).toBe(user.userId);
    expect(payload.email).toBe(user.email);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(15 * 60);
  });

  it('serves the JWKS with the signing key', async () => {
    const user = await signUpAndGetToken(origin.url);
    const { keys } = await json<{ keys: Array<{ kid: string; kty: string; crv: string }> }>(await fetch(`${origin.url}/api/auth/jwks`));
    expect(keys).toContainEqual(expect.objectContaining({ kid: decodeProtectedHeader(user.token).kid, kty: 'OKP', crv: 'Ed25519' }));
  });

  it('trusts the configured public URL as an Origin, and rejects others', async () => {
    const viaWorker = await signUpAndGetToken(origin.url, { origin: WORKER_URL });
    expect(viaWorker.token).toEqual(expect.any(String));
    await expect(signUpAndGetToken(origin.url, { origin: 'https://evil.example' })).rejects.toThrow(/sign-up failed: 403/);
    await expect(signUpAndGetToken(plainOrigin.url, { origin: WORKER_URL })).rejects.toThrow(/sign-up failed: 403/);
  });

  it('signs in again with the same credentials, and refuses a token without a session', async () => {
    const user = await signUpAndGetToken(origin.url, { password: 'a-long-enough-password' });
    const signIn = await fetch(`${origin.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: origin.url },
      body: JSON.stringify({ email: user.email, password: 'a-long-enough-password' }),
    });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.getSetCookie().join()).toMatch(/better-auth\.session_token=/);
    expect((await fetch(`${origin.url}/api/auth/token`)).status).toBe(401);
  });
});

// --- tasks -----------------------------------------------------------------------------------

describe('/api/v1/tasks', () => {
  it('requires X-User-Id', async () => {
    await expectError(await api(undefined, '/api/v1/tasks'), 401, 'unauthorized');
    await expectError(await api('  ', '/api/v1/tasks'), 401, 'unauthorized');
    await expectError(await api(undefined, '/api/v1/conversations'), 401, 'unauthorized');
    await expectError(await api(undefined, '/api/v1/chat', { body: { message: 'hi' } }), 401, 'unauthorized');
  });

  it('creates, lists, reads, updates and deletes tasks', async () => {
    const user = newUserId();
    expect(await tasksOf(user)).toEqual([]);

    const created = await api(user, '/api/v1/tasks', { body: { title: '  water the plants ' } });
    expect(created.status).toBe(201);
    const task = v.parse(TaskSchema, await created.json());
    expect(task).toMatchObject({ title: 'water the plants', completed: false });
    expect(Number.isInteger(task.id) && task.id > 0).toBe(true);
    expect(isIso(task.created_at) && isIso(task.updated_at)).toBe(true);

    expect(await tasksOf(user)).toEqual([task]);
    expect(await json(await api(user, `/api/v1/tasks/${task.id}`))).toEqual(task);

    const patched = await api(user, `/api/v1/tasks/${task.id}`, { method: 'PATCH', body: { completed: true } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ id: task.id, title: 'water the plants', completed: true });
    const renamed = await api(user, `/api/v1/tasks/${task.id}`, { method: 'PATCH', body: { title: 'water the cactus' } });
    expect(await renamed.json()).toMatchObject({ title: 'water the cactus', completed: true });

    const deleted = await api(user, `/api/v1/tasks/${task.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    await expectError(await api(user, `/api/v1/tasks/${task.id}`), 404, 'not_found');
    expect(await tasksOf(user)).toEqual([]);
  });

  it("keeps users apart: another user's task looks exactly like a missing one", async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    const task = await json<{ id: number }>(await api(alice, '/api/v1/tasks', { body: { title: 'secret plan' } }));
    expect(await tasksOf(bob)).toEqual([]);

    const missing = await api(bob, '/api/v1/tasks/999999');
    const foreign = await api(bob, `/api/v1/tasks/${task.id}`);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
    await expectError(await api(bob, `/api/v1/tasks/${task.id}`, { method: 'PATCH', body: { completed: true } }), 404, 'not_found');
    await expectError(await api(bob, `/api/v1/tasks/${task.id}`, { method: 'PATCH', rawBody: '{oops' }), 404, 'not_found');
    await expectError(await api(bob, `/api/v1/tasks/${task.id}`, { method: 'DELETE' }), 404, 'not_found');
    expect(await tasksOf(alice)).toMatchObject([{ id: task.id, completed: false }]);
  });

  it('rejects bad bodies with 400 bad_request and bad ids with 404', async () => {
    const user = newUserId();
    await expectError(await api(user, '/api/v1/tasks', { rawBody: '{"title": ' }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks', { body: {} }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks', { body: { title: '   ' } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks', { body: { title: 42 } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks', { body: ['title'] }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks', { body: { title: 'x'.repeat(201) } }), 400, 'bad_request');
    const task = await json<{ id: number }>(await api(user, '/api/v1/tasks', { body: { title: 'ok' } }));
    await expectError(await api(user, `/api/v1/tasks/${task.id}`, { method: 'PATCH', body: { completed: 'yes' } }), 400, 'bad_request');
    await expectError(await api(user, `/api/v1/tasks/${task.id}`, { method: 'PATCH', body: { title: '' } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/tasks/abc'), 404, 'not_found');
    await expectError(await api(user, '/api/v1/tasks/0'), 404, 'not_found');
    await expectError(await api(user, '/api/v1/nothing-here'), 404, 'not_found');
  });

  it('echoes X-Request-Id in error bodies', async () => {
    const response = await api(undefined, '/api/v1/tasks', { headers: { 'x-request-id': 'req-123' } });
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized', request_id: 'req-123' } });
  });
});

// --- conversations and chat (JSON) -----------------------------------------------------------

describe('/api/v1/chat (JSON) and /api/v1/conversations', () => {
  it('creates a conversation titled after the first message and stores both messages', async () => {
    const user = newUserId();
    const message = 'Hello there, this is a rather long first message that goes well past sixty characters';
    const reply = await chat(user, `  ${message}  `);
    expect(reply.title).toBe(message.slice(0, 60).trim());
    expect(reply.tool_calls).toEqual([]);
    expect(reply.response).toMatch(/add a task to/);
    expect(reply.message_id).toBeGreaterThan(reply.user_message_id ?? Infinity);

    const detail = v.parse(ConversationDetailSchema, await (await api(user, `/api/v1/conversations/${reply.conversation_id}`)).json());
    expect(detail).toMatchObject({ id: reply.conversation_id, title: reply.title });
    expect(detail.messages).toEqual([
      { id: reply.user_message_id, role: 'user', content: message, created_at: expect.any(String), tool_calls: [], interrupted: false },
      { id: reply.message_id, role: 'assistant', content: reply.response, created_at: expect.any(String), tool_calls: [], interrupted: false },
    ]);
    expect([detail.created_at, detail.updated_at, ...detail.messages.map((m) => m.created_at)].every(isIso)).toBe(true);
  });

  it('continues a conversation, lists newest-updated first, renames and deletes', async () => {
    const user = newUserId();
    const first = await chat(user, 'first conversation');
    const second = await chat(user, 'second conversation');
    const listIds = async (): Promise<number[]> => v.parse(ConversationListSchema, await (await api(user, '/api/v1/conversations')).json()).map((c) => c.id);
    expect(await listIds()).toEqual([second.conversation_id, first.conversation_id]);

    const followUp = await chat(user, 'show my tasks', first.conversation_id);
    expect(followUp.conversation_id).toBe(first.conversation_id);
    expect(followUp.title).toBe('first conversation');
    expect(await listIds()).toEqual([first.conversation_id, second.conversation_id]);
    const detail = await json<{ messages: Array<{ id: number }> }>(await api(user, `/api/v1/conversations/${first.conversation_id}`));
    expect(detail.messages.map((m) => m.id)).toEqual([first.user_message_id, first.message_id, followUp.user_message_id, followUp.message_id]);

    const renamed = await api(user, `/api/v1/conversations/${second.conversation_id}`, { method: 'PATCH', body: { title: ' Renamed ' } });
    expect(renamed.status).toBe(200);
    const renamedBody = v.parse(ConversationSchema, await renamed.json());
    expect(renamedBody).toMatchObject({ id: second.conversation_id, title: 'Renamed' });
    expect(renamedBody).not.toHaveProperty('messages');
    expect(await listIds()).toEqual([second.conversation_id, first.conversation_id]);
    await expectError(await api(user, `/api/v1/conversations/${second.conversation_id}`, { method: 'PATCH', body: { title: '' } }), 400, 'bad_request');
    await expectError(await api(user, `/api/v1/conversations/${second.conversation_id}`, { method: 'PATCH', rawBody: 'nope' }), 400, 'bad_request');

    const deleted = await api(user, `/api/v1/conversations/${second.conversation_id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    await expectError(await api(user, `/api/v1/conversations/${second.conversation_id}`), 404, 'not_found');
    await expectError(await api(user, `/api/v1/conversations/${second.conversation_id}`, { method: 'DELETE' }), 404, 'not_found');
    expect(await listIds()).toEqual([first.conversation_id]);
  });

  it("hides another user's conversations exactly like missing ones", async () => {
    const [alice, bob] = [newUserId(), newUserId()];
    const { conversation_id: id } = await chat(alice, 'private thoughts');
    expect(await json(await api(bob, '/api/v1/conversations'))).toEqual([]);
    const foreign = await api(bob, `/api/v1/conversations/${id}`);
    const missing = await api(bob, '/api/v1/conversations/999999');
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
    await expectError(await api(bob, `/api/v1/conversations/${id}`, { method: 'PATCH', body: { title: 'mine now' } }), 404, 'not_found');
    await expectError(await api(bob, `/api/v1/conversations/${id}`, { method: 'DELETE' }), 404, 'not_found');
    await expectError(await api(bob, '/api/v1/chat', { body: { message: 'hi', conversation_id: id } }), 404, 'not_found');
    const detail = await json<{ title: string; messages: unknown[] }>(await api(alice, `/api/v1/conversations/${id}`));
    expect(detail).toMatchObject({ title: 'private thoughts' });
    expect(detail.messages).toHaveLength(2);
  });

  it('validates chat requests', async () => {
    const user = newUserId();
    await expectError(await api(user, '/api/v1/chat', { rawBody: 'not json' }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: {} }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: { message: '   ' } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: { message: 'x'.repeat(4001) } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: { message: 'hi', conversation_id: 'one' } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: { message: 'hi', conversation_id: 1.5 } }), 400, 'bad_request');
    await expectError(await api(user, '/api/v1/chat', { body: { message: 'hi', conversation_id: 999999 } }), 404, 'not_found');
    expect((await chat(user, 'x'.repeat(4000))).title).toHaveLength(60);
    expect(await json(await api(user, '/api/v1/conversations'))).toHaveLength(1);
  });

  it("runs the assistant's task tools against the user's real task list", async () => {
    const user = newUserId();
    const added = await chat(user, 'Add a task to buy groceries');
    expect(added.response).toBe('Added "buy groceries" to your tasks.');
    expect(added.tool_calls).toEqual([
      { name: 'add_task', arguments: { title: 'buy groceries' }, result: { task: expect.objectContaining({ title: 'buy groceries' }) } },
    ]);
    await chat(user, 'remind me to call mom', added.conversation_id);
    await chat(user, 'add task water plants', added.conversation_id);
    expect((await tasksOf(user)).map((t) => t.title)).toEqual(['buy groceries', 'call mom', 'water plants']);

    const done = await chat(user, 'mark GROCERIES as done', added.conversation_id);
    expect(done.tool_calls[0]).toMatchObject({ name: 'complete_task', arguments: { title: 'GROCERIES' }, result: { task: { completed: true } } });
    expect(done.response).toBe('Marked "buy groceries" as done.');

    const [, callMom] = await tasksOf(user);
    const removed = await chat(user, `delete task ${callMom?.id}`, added.conversation_id);
    expect(removed.tool_calls[0]).toMatchObject({ name: 'delete_task', arguments: { id: callMom?.id } });
    expect(removed.response).toBe('Deleted "call mom" from your tasks.');

    const listed = await chat(user, 'What are my tasks?', added.conversation_id);
    expect(listed.tool_calls).toMatchObject([
      { name: 'list_tasks', arguments: {}, result: { tasks: [{ title: 'buy groceries' }, { title: 'water plants' }] } },
    ]);
    expect(listed.response).toContain('buy groceries');
    expect(listed.response).toContain('water plants');
    expect(await tasksOf(user)).toMatchObject([
      { title: 'buy groceries', completed: true },
      { title: 'water plants', completed: false },
    ]);

    const missing = await chat(user, 'finish the laundry', added.conversation_id);
    expect(missing.tool_calls[0]).toMatchObject({ name: 'complete_task', result: { error: expect.any(String) } });
    expect(missing.response).toMatch(/couldn't find/);
    expect((await chat(newUserId(), 'list tasks')).response).toBe('You have no tasks yet.');
  });

  it('fails with 500 assistant_error on "simulate error" and keeps the user message', async () => {
    const user = newUserId();
    const response = await api(user, '/api/v1/chat', { body: { message: 'please simulate error now' } });
    await expectError(response, 500, 'assistant_error');
    const [conversation] = await json<Array<{ id: number }>>(await api(user, '/api/v1/conversations'));
    const detail = await json<{ messages: Array<{ role: string; content: string }> }>(await api(user, `/api/v1/conversations/${conversation?.id}`));
    expect(detail.messages).toEqual([expect.objectContaining({ role: 'user', content: 'please simulate error now' })]);
  });
});

// --- chat (SSE) ------------------------------------------------------------------------------

describe('/api/v1/chat (SSE)', () => {
  function checkEvents(events: SseEvent[]): void {
    for (const { event, data } of events) {
      expect(Object.keys(ChatStreamEventSchemas)).toContain(event);
      v.parse(ChatStreamEventSchemas[event as ChatStreamEventName], data);
    }
  }

  it('flushes each event as it is written: the first delta arrives while the next is still minutes away', async () => {
    const response = await fetch(`${pausingOrigin.url}/api/v1/chat`, {
      method: 'POST',
      headers: { 'x-user-id': newUserId(), 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'what can you do?' }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: delta')) text += (await reader.read()).value ?? '';
    expect(text).not.toContain('event: done');
    await reader.cancel();
  });

  it('streams start, tool, several timed deltas, then done with the JSON reply', async () => {
    const user = newUserId();
    await api(user, '/api/v1/tasks', { body: { title: 'walk the dog' } });
    await api(user, '/api/v1/tasks', { body: { title: 'pay the electricity bill' } });
    const { response, events } = await streamChat(user, { message: 'show my tasks' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    checkEvents(events);
    expect(events.map((e) => e.event)).toEqual(['start', 'tool', ...events.slice(2, -1).map(() => 'delta'), 'done']);

    const start = events[0]?.data as { conversation_id: number; user_message_id: number; title: string };
    expect(start.title).toBe('show my tasks');
    const tool = events[1]?.data;
    expect(tool).toMatchObject({ name: 'list_tasks', arguments: {}, result: { tasks: [{ title: 'walk the dog' }, { title: 'pay the electricity bill' }] } });

    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    const done = v.parse(ChatReplySchema, events.at(-1)?.data);
    expect(deltas.map((e) => (e.data as { text: string }).text).join('')).toBe(done.response);
    expect(done).toMatchObject({ conversation_id: start.conversation_id, user_message_id: start.user_message_id, title: 'show my tasks', tool_calls: [tool] });

    const detail = await json<{ messages: Array<{ id: number; content: string }> }>(await api(user, `/api/v1/conversations/${start.conversation_id}`));
    expect(detail.messages.map((m) => m.id)).toEqual([start.user_message_id, done.message_id]);
    expect(detail.messages[1]?.content).toBe(done.response);
  });

  it('emits a tool event per tool call and continues an existing conversation', async () => {
    const user = newUserId();
    const first = await chat(user, 'hello');
    const { events } = await streamChat(user, { message: 'add a task to renew passport', conversation_id: first.conversation_id });
    checkEvents(events);
    expect(events[0]?.data).toMatchObject({ conversation_id: first.conversation_id, title: 'hello' });
    expect(events.filter((e) => e.event === 'tool').map((e) => e.data)).toMatchObject([
      { name: 'add_task', arguments: { title: 'renew passport' }, result: { task: { title: 'renew passport' } } },
    ]);
    expect(events.at(-1)?.data).toMatchObject({ response: 'Added "renew passport" to your tasks.' });
    expect(await tasksOf(user)).toMatchObject([{ title: 'renew passport' }]);
  });

  it('streams start, one delta, then error on "simulate error"', async () => {
    const user = newUserId();
    const { response, events } = await streamChat(user, { message: 'Simulate Error please' });
    expect(response.status).toBe(200);
    checkEvents(events);
    expect(events.map((e) => e.event)).toEqual(['start', 'delta', 'error']);
    expect(events[2]?.data).toEqual({ message: 'The assistant failed while answering.' });
    const conversationId = (events[0]!.data as { conversation_id: number }).conversation_id;
    const detail = await json<{ messages: Array<{ role: string }> }>(await api(user, `/api/v1/conversations/${conversationId}`));
    expect(detail.messages.map((m) => m.role)).toEqual(['user']);
  });

  it('answers 404 JSON (no stream) for an unknown conversation', async () => {
    const response = await api(newUserId(), '/api/v1/chat', {
      body: { message: 'hi', conversation_id: 424242 },
      headers: { accept: 'text/event-stream' },
    });
    await expectError(response, 404, 'not_found');
  });

  it('records an aborted stream when the client leaves mid-answer', async () => {
    await fetch(`${origin.url}/__origin/reset`, { method: 'POST' });
    const response = await api(newUserId(), '/api/v1/chat', {
      body: { message: 'x '.repeat(200) },
      headers: { accept: 'text/event-stream' },
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    const entry = await waitFor(async () => (await recorded()).find((r) => r.path === '/api/v1/chat' && r.aborted), 'aborted chat');
    expect(entry.aborted).toBe(true);
  });
});

describe('history that keeps what happened: tool calls, retries, stopped answers, ids', () => {
  type Detail = v.InferOutput<typeof ConversationDetailSchema>;
  const detailOf = async (user: string, conversationId: number): Promise<Detail> =>
    v.parse(ConversationDetailSchema, await (await api(user, `/api/v1/conversations/${conversationId}`)).json());

  it('stores each answer with the tool calls it made; answers without tools carry none', async () => {
    const user = newUserId();
    const first = await chat(user, 'add a task to water the plants');
    await chat(user, 'hello', first.conversation_id);
    const raw = await json<{ messages: Array<Record<string, unknown>> }>(await api(user, `/api/v1/conversations/${first.conversation_id}`));
    expect(raw.messages.map((m) => Object.hasOwn(m, 'tool_calls'))).toEqual([false, true, false, false]);
    const detail = await detailOf(user, first.conversation_id);
    expect(detail.messages[1]?.tool_calls).toEqual([
      { name: 'add_task', arguments: { title: 'water the plants' }, result: { task: expect.objectContaining({ id: 1, title: 'water the plants' }) } },
    ]);
    expect(detail.messages[1]?.tool_calls).toEqual(first.tool_calls);
  });

  it("numbers tasks per user: each user's first task is task 1", async () => {
    const [ada, bob] = [newUserId(), newUserId()];
    await chat(ada, 'add a task to buy milk');
    await chat(ada, 'add a task to call mom');
    await chat(bob, 'add a task to fix the bike');
    expect((await tasksOf(ada)).map((task) => task.id)).toEqual([1, 2]);
    expect((await tasksOf(bob)).map((task) => task.id)).toEqual([1]);
    expect((await chat(bob, 'complete task 1')).response).toBe('Marked "fix the bike" as done.');
    expect((await tasksOf(ada)).every((task) => !task.completed)).toBe(true);
    expect((await api(bob, '/api/v1/tasks/2')).status).toBe(404);
  });

  it("announces the answer's id in start; the stored answer has exactly that id", async () => {
    const user = newUserId();
    const { events } = await streamChat(user, { message: 'add a task to book flights' });
    const start = v.parse(ChatStreamEventSchemas.start, events[0]?.data);
    const done = v.parse(ChatReplySchema, events.at(-1)?.data);
    expect(start.assistant_message_id).toEqual(expect.any(Number));
    expect(done.message_id).toBe(start.assistant_message_id);
    const detail = await detailOf(user, start.conversation_id);
    expect(detail.messages.map((m) => m.id)).toEqual([start.user_message_id, start.assistant_message_id]);
  });

  it('two interleaved turns keep their announced ids; an answer stored late lists after the later question', async () => {
    const user = newUserId();
    const seeded = await chat(user, 'hello');
    const conversationId = seeded.conversation_id;
    const [one, two] = await Promise.all([
      streamChat(user, { message: 'x '.repeat(30), conversation_id: conversationId }),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, CHUNK_DELAY_MS));
        return streamChat(user, { message: 'y '.repeat(30), conversation_id: conversationId });
      })(),
    ]);
    const startOf = (events: SseEvent[]) => v.parse(ChatStreamEventSchemas.start, events[0]?.data);
    const doneOf = (events: SseEvent[]) => v.parse(ChatReplySchema, events.at(-1)?.data);
    const detail = await detailOf(user, conversationId);
    const byId = new Map(detail.messages.map((m) => [m.id, m]));
    for (const turn of [one, two]) {
      const start = startOf(turn.events);
      expect(doneOf(turn.events).message_id).toBe(start.assistant_message_id);
      expect(byId.get(start.assistant_message_id!)?.content).toBe(doneOf(turn.events).response);
      expect(byId.get(start.user_message_id!)?.role).toBe('user');
    }
    // Both questions were stored before either answer (the answers stream for a while first).
    expect(detail.messages.slice(2).map((m) => m.role)).toEqual(['user', 'user', 'assistant', 'assistant']);
  });

  it('retry_of_message_id drops what followed the question and answers it again, storing the question once', async () => {
    const user = newUserId();
    const first = await chat(user, 'add a task to buy bread');
    await chat(user, 'show my tasks', first.conversation_id);
    const { response, events } = await streamChat(user, { conversation_id: first.conversation_id, retry_of_message_id: first.user_message_id });
    expect(response.status).toBe(200);
    const start = v.parse(ChatStreamEventSchemas.start, events[0]?.data);
    expect(start.user_message_id).toBe(first.user_message_id);
    const done = v.parse(ChatReplySchema, events.at(-1)?.data);
    expect(done.response).toBe('Added "buy bread" to your tasks.');
    const detail = await detailOf(user, first.conversation_id);
    expect(detail.messages.map((m) => [m.id, m.role])).toEqual([
      [first.user_message_id, 'user'],
      [done.message_id, 'assistant'],
    ]);
    expect(done.message_id).not.toBe(first.message_id);

    // JSON works the same way.
    const again = await json<{ message_id: number }>(
      await api(user, '/api/v1/chat', { body: { conversation_id: first.conversation_id, retry_of_message_id: first.user_message_id } }),
    );
    expect((await detailOf(user, first.conversation_id)).messages.map((m) => m.id)).toEqual([first.user_message_id, again.message_id]);
  });

  it('refuses a retry of an answer, of a foreign or unknown message, or with a message as well', async () => {
    const [user, other] = [newUserId(), newUserId()];
    const first = await chat(user, 'hello');
    const retry = (who: string, body: Record<string, unknown>) => api(who, '/api/v1/chat', { body });
    await expectError(await retry(user, { conversation_id: first.conversation_id, retry_of_message_id: first.message_id }), 400, 'bad_request');
    await expectError(await retry(user, { conversation_id: first.conversation_id, retry_of_message_id: 999_999 }), 404, 'not_found');
    await expectError(await retry(other, { conversation_id: first.conversation_id, retry_of_message_id: first.user_message_id }), 404, 'not_found');
    await expectError(await retry(user, { retry_of_message_id: first.user_message_id }), 400, 'bad_request');
    await expectError(
      await retry(user, { conversation_id: first.conversation_id, retry_of_message_id: first.user_message_id, message: 'hi' }),
      400,
      'bad_request',
    );
    expect((await detailOf(user, first.conversation_id)).messages).toHaveLength(2);
  });

  it('keeps a stopped answer: what was sent so far, with its tool calls, marked interrupted', async () => {
    const user = newUserId();
    await api(user, '/api/v1/tasks', { body: { title: 'one' } });
    await api(user, '/api/v1/tasks', { body: { title: 'two' } });
    await api(user, '/api/v1/tasks', { body: { title: 'three' } });
    const response = await api(user, '/api/v1/chat', { body: { message: 'show my tasks' }, headers: { accept: 'text/event-stream' } });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    while (!seen.includes('event: delta')) seen += (await reader.read()).value ?? '';
    await reader.cancel();
    const start = JSON.parse(/event: start\ndata: (.*)\n/.exec(seen)![1]!) as { conversation_id: number; assistant_message_id: number };
    const stored = await waitFor(async () => {
      const detail = await detailOf(user, start.conversation_id);
      return detail.messages.find((m) => m.role === 'assistant');
    }, 'the interrupted answer');
    expect(stored.id).toBe(start.assistant_message_id);
    expect(stored.interrupted).toBe(true);
    expect(stored.content).not.toBe('');
    expect('You have 3 tasks:\n- one (task 1)\n- two (task 2)\n- three (task 3)'.startsWith(stored.content)).toBe(true);
    expect(stored.content.length).toBeLessThan('You have 3 tasks:\n- one (task 1)\n- two (task 2)\n- three (task 3)'.length);
    expect(stored.tool_calls.map((call) => call.name)).toEqual(['list_tasks']);
  });
});

// --- test routes -----------------------------------------------------------------------------

describe('/api/v1/__test/* (testRoutes on)', () => {
  it('echo returns method, raw path, headers and body', async () => {
    const response = await fetch(`${origin.url}/api/v1/__test/echo?a=1&b=%20x`, {
      method: 'PUT',
      headers: { 'X-Thing': 'one', authorization: 'Bearer t' },
      body: 'hello body',
    });
    const echo = await json<EchoReply>(response);
    expect(echo).toMatchObject({ method: 'PUT', path: '/api/v1/__test/echo?a=1&b=%20x', body: 'hello body' });
    expect(echo.headers).toMatchObject({ 'x-thing': 'one', authorization: 'Bearer t', 'content-length': '10' });
    const raw = JSON.parse((await rawRequest('/api/v1/__test/echo', { 'x-user-id': ['a', 'b'] })).body) as EchoReply;
    expect(raw.headers['x-user-id']).toBe('a, b');
    const nested = await json<EchoReply>(await fetch(`${origin.url}/api/v1/__test/echo/marker-1/?q=a%20b`));
    expect(nested).toMatchObject({ method: 'GET', path: '/api/v1/__test/echo/marker-1/?q=a%20b', body: '' });
  });

  it('sse sends n ticks, then closes', async () => {
    const response = await fetch(`${origin.url}/api/v1/__test/sse?n=4&interval_ms=40`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = await readSseEvents(response);
    expect(events).toEqual([0, 1, 2, 3].map((i) => ({ event: 'tick', data: { i } })));
  });

  it('sse sends each tick when it is due: the first arrives while the second is still minutes away', async () => {
    const response = await fetch(`${origin.url}/api/v1/__test/sse?n=2&interval_ms=${NEVER_MS}`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"i":0')) text += (await reader.read()).value ?? '';
    expect(text).not.toContain('"i":1');
    await reader.cancel();
  });

  it('sse records the abort when the client leaves early', async () => {
    await fetch(`${origin.url}/__origin/reset`, { method: 'POST' });
    const response = await fetch(`${origin.url}/api/v1/__test/sse?n=100&interval_ms=30`);
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    const entry = await waitFor(async () => (await recorded()).find((r) => r.aborted), 'aborted sse');
    expect(entry.path).toBe('/api/v1/__test/sse?n=100&interval_ms=30');
  });

  it('status/:code answers that status', async () => {
    const response = await fetch(`${origin.url}/api/v1/__test/status/503`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: 'origin_status' } });
    expect((await fetch(`${origin.url}/api/v1/__test/status/418`)).status).toBe(418);
    expect((await fetch(`${origin.url}/api/v1/__test/status/204`)).status).toBe(204);
    expect((await fetch(`${origin.url}/api/v1/__test/status/99`)).status).toBe(400);
  });

  it('garbage claims JSON but is not', async () => {
    const response = await fetch(`${origin.url}/api/v1/__test/garbage`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it('slow answers after the delay', async () => {
    // Order, not duration: a request sent after the slow one is answered before it.
    const answered: string[] = [];
    const slow = fetch(`${origin.url}/api/v1/__test/slow?ms=3000`).then(async (response) => answered.push(`slow ${JSON.stringify(await response.json())}`));
    await waitFor(async () => (await recorded()).find((record) => record.path === '/api/v1/__test/slow?ms=3000'), 'the slow request to arrive');
    answered.push(`fast ${JSON.stringify(await (await fetch(`${origin.url}/api/v1/__test/slow?ms=0`)).json())}`);
    await slow;
    expect(answered).toEqual(['fast {"ok":true}', 'slow {"ok":true}']);
  });

  it('upload counts the bytes of a streamed body', async () => {
    const size = 3 * 1024 * 1024 + 7;
    const response = await fetch(`${origin.url}/api/v1/__test/upload`, { method: 'POST', body: new Uint8Array(size) });
    expect(await response.json()).toEqual({ bytes: size });
  });

  it('are absent when testRoutes is off', async () => {
    const response = await fetch(`${plainOrigin.url}/api/v1/__test/echo`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

// --- CLI -------------------------------------------------------------------------------------

describe('main.ts', () => {
  it('starts on ORIGIN_PORT, prints its URL, and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'origin/main.ts'], {
      env: { ...process.env, ORIGIN_PORT: '0', ORIGIN_TEST_ROUTES: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          const match = /origin listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output}`)));
      });
      expect(await json(await fetch(`${url}/__origin/health`))).toEqual({ ok: true });
      expect((await fetch(`${url}/api/v1/__test/status/418`)).status).toBe(418);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});
