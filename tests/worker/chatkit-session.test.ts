import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { ErrorBodySchema } from '../../shared/errors';
import { FlagsResponseSchema } from '../../shared/flags';
import { SessionCancelResponseSchema, SessionResponseSchema, type SessionResponse } from '../../shared/session';
import { signUpAndGetToken } from '../../origin/client';
import { callWorker } from './support';
import { resilienceFigure } from './tally';

/**
 * `POST /api/chatkit/session` and `/session/cancel` in hosted mode, through the real app
 * inside workerd, against the OpenAI ChatKit fake (tests/fakes/openai-chatkit.ts) and real
 * Better Auth tokens from the reference origin.
 *
 * The fake's failure mode is global to the run, so every mode set here is bounded (`times`)
 * and reset after each test, and request counts are always taken as a difference for one
 * user, never as absolute totals. All mode-changing tests live in this one file so they run
 * one after another.
 */

interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}
type FakeMode = '401' | '403' | '429' | '500' | '503' | 'hang' | 'reset';

const openaiUrl = () => inject('openaiUrl');

async function setFakeMode(mode: FakeMode | 'ok', options: { times?: number; retry_after?: number } = {}): Promise<void> {
  const res = await fetch(`${openaiUrl()}/__fake/mode`, { method: 'POST', body: JSON.stringify({ mode, ...options }) });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.body?.cancel();
}

async function fakeRequests(): Promise<FakeRequest[]> {
  return (await (await fetch(`${openaiUrl()}/__fake/requests`)).json()) as FakeRequest[];
}

/** Create calls the fake received for one user (the `user` field of the body). */
async function createsFor(userId: string): Promise<FakeRequest[]> {
  return (await fakeRequests()).filter((r) => r.path === '/v1/chatkit/sessions' && (r.body as { user?: unknown } | null)?.user === userId);
}

async function cancelsOf(sessionId: string): Promise<FakeRequest[]> {
  return (await fakeRequests()).filter((r) => r.path === `/v1/chatkit/sessions/${sessionId}/cancel`);
}

/** Runs `action` and returns how many more create calls the fake saw for `userId` meanwhile. */
async function countCreates<T>(userId: string, action: () => Promise<T>): Promise<{ result: T; creates: FakeRequest[] }> {
  const before = (await createsFor(userId)).length;
  const result = await action();
  return { result, creates: (await createsFor(userId)).slice(before) };
}

const hostedEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  CHATKIT_MODE: 'hosted',
  OPENAI_API_KEY: inject('openaiApiKey'),
  CHATKIT_WORKFLOW_ID: 'wf_test',
  OPENAI_BASE_URL: openaiUrl(),
  // Far above what this file sends, so the per-user session limiter never interferes
  // except in the test that is about it.
  RATE_LIMIT_SESSION: '1000/60',
  ...extra,
});

function post(path: string, token: string | null, body: unknown, overrides: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return callWorker(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) }, overrides);
}
const postSession = (token: string | null, body?: unknown, extra: Record<string, string> = {}) => post('/api/chatkit/session', token, body, hostedEnv(extra));
const postCancel = (token: string | null, body: unknown, extra: Record<string, string> = {}) =>
  post('/api/chatkit/session/cancel', token, body, hostedEnv(extra));

async function expectError(res: Response, status: number, code: string): Promise<v.InferOutput<typeof ErrorBodySchema>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = v.parse(ErrorBodySchema, JSON.parse(text));
  expect(body.error.code).toBe(code);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return body;
}

async function expectSession(res: Response): Promise<SessionResponse> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const json = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(json).sort()).toEqual(['client_secret', 'expires_at', 'session_id']);
  const session = v.parse(SessionResponseSchema, json);
  secretsSeen.add(session.client_secret);
  return session;
}

/** OpenAI's own session id inside the handle the worker returns (`cksess_….<mac>`). */
const rawSessionId = (handle: string) => handle.slice(0, handle.lastIndexOf('.'));
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- log capture: no line may ever carry a client secret or the API key ---------------------

const logLines: string[] = [];
const secretsSeen = new Set<string>();

beforeEach(() => {
  logLines.length = 0;
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((arg) => (typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? String(arg)))).join(' '));
    });
  }
});

afterEach(async () => {
  vi.restoreAllMocks();
  await setFakeMode('ok');
  const text = logLines.join('\n');
  expect(text).not.toContain(inject('openaiApiKey'));
  for (const secret of secretsSeen) expect(text).not.toContain(secret);
});

const logged = (event: string) =>
  logLines.flatMap((line) => {
    try {
      const json = JSON.parse(line) as Record<string, unknown>;
      return json.event === event ? [json] : [];
    } catch {
      return [];
    }
  });

// --- users and flags --------------------------------------------------------------------------

let alice: { token: string; userId: string };
let mallory: { token: string; userId: string };
let carol: { token: string; userId: string };

beforeAll(async () => {
  [alice, mallory, carol] = await Promise.all([
    signUpAndGetToken(inject('originUrl')),
    signUpAndGetToken(inject('originUrl')),
    signUpAndGetToken(inject('originUrl')),
  ]);
  // Everyone on ChatKit except mallory. Written before this file's first request, so the
  // isolate's flags cache (FLAGS_CACHE_TTL_SECONDS) never holds an older value. KV storage is
  // per test file, so no other file sees this document.
  await env.FLAGS.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100, deny_users: [mallory.userId] } }));
});

afterAll(async () => {
  await env.FLAGS.delete('flags');
});

// --- the happy path ------------------------------------------------------------------------

describe('POST /api/chatkit/session (hosted mode)', () => {
  it('returns {client_secret, session_id, expires_at} for the token user, ignoring a body user_id', async () => {
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, { user_id: mallory.userId, user: 'someone-else' }));
    const session = await expectSession(res);
    expect(session.client_secret).toMatch(/^ek_/);
    expect(session.session_id).toMatch(/^cksess_[0-9a-f]+\.[A-Za-z0-9_-]{43}$/);
    expect(session.expires_at).toBeGreaterThan(nowSeconds());

    expect(creates).toHaveLength(1);
    const [request] = creates;
    expect(request!.body).toEqual({ user: alice.userId, workflow: { id: 'wf_test' } });
    expect(request!.headers['openai-beta']).toContain('chatkit_beta=v1');
    expect(request!.headers.authorization).toBe(`Bearer ${inject('openaiApiKey')}`);
    // Nothing was ever sent for the user the body claimed.
    expect(await createsFor(mallory.userId)).toHaveLength(0);
    expect(logged('chatkit_session_created')).toEqual([
      expect.objectContaining({ user_id: alice.userId, session_id: rawSessionId(session.session_id), refresh: false, attempts: 1 }),
    ]);
  });

  it("accepts an empty body (ChatKit's first getClientSecret call)", async () => {
    await expectSession(await postSession(alice.token));
  });

  it('sends the optional session vars to OpenAI in its shapes', async () => {
    const started = nowSeconds();
    const { result: res, creates } = await countCreates(alice.userId, () =>
      postSession(
        alice.token,
        {},
        {
          CHATKIT_SESSION_TTL_SECONDS: '120',
          CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE: '30',
          CHATKIT_HISTORY_ENABLED: 'false',
          CHATKIT_FILE_UPLOAD_ENABLED: 'true',
          CHATKIT_AUTOMATIC_TITLING: 'false',
        },
      ),
    );
    const session = await expectSession(res);
    expect(session.expires_at).toBeGreaterThanOrEqual(started + 119);
    expect(session.expires_at).toBeLessThanOrEqual(nowSeconds() + 121);
    expect(creates.map((r) => r.body)).toEqual([
      {
        user: alice.userId,
        workflow: { id: 'wf_test' },
        expires_after: { anchor: 'created_at', seconds: 120 },
        rate_limits: { max_requests_per_1_minute: 30 },
        chatkit_configuration: {
          history: { enabled: false },
          file_upload: { enabled: true },
          automatic_thread_titling: { enabled: false },
        },
      },
    ]);
  });

  it.each([
    ['CHATKIT_SESSION_TTL_SECONDS', '601', 'CHATKIT_SESSION_TTL_SECONDS must be at most 600'],
    ['CHATKIT_SESSION_TTL_SECONDS', 'ten', 'CHATKIT_SESSION_TTL_SECONDS must be a number'],
    ['CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE', '0', 'CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE must be at least 1'],
    ['CHATKIT_HISTORY_ENABLED', 'yes', 'CHATKIT_HISTORY_ENABLED must be "true", "false" or empty'],
    ['OPENAI_TIMEOUT_MS', '1.5', 'OPENAI_TIMEOUT_MS must be a whole number'],
    ['OPENAI_BASE_URL', 'localhost:1234', 'OPENAI_BASE_URL must be an http(s) URL'],
  ])('a bad %s (%s) fails loudly, naming the var, and never calls OpenAI', async (name, value, message) => {
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}, { [name]: value }));
    const body = await expectError(res, 500, 'internal');
    expect(body.error.message).toContain(message);
    expect(creates).toHaveLength(0);
  });

  it('refresh: an expired secret is replaced by a new session for the same user', async () => {
    const first = await expectSession(await postSession(alice.token, {}, { CHATKIT_SESSION_TTL_SECONDS: '1' }));
    // Wait until the first secret is past its expires_at.
    await sleep(Math.max(0, (first.expires_at + 1) * 1000 - Date.now()));
    expect(nowSeconds()).toBeGreaterThan(first.expires_at);

    const { result: res, creates } = await countCreates(alice.userId, () =>
      postSession(alice.token, { current_client_secret: first.client_secret, user_id: mallory.userId }, { CHATKIT_SESSION_TTL_SECONDS: '1' }),
    );
    const second = await expectSession(res);
    expect(second.client_secret).not.toBe(first.client_secret);
    expect(second.session_id).not.toBe(first.session_id);
    expect(second.expires_at).toBeGreaterThan(first.expires_at);
    expect(second.expires_at).toBeGreaterThanOrEqual(nowSeconds());
    // A fresh create for the same verified user; the old secret went nowhere.
    expect(creates).toHaveLength(1);
    expect(creates[0]!.body).toMatchObject({ user: alice.userId });
    expect(JSON.stringify(creates[0])).not.toContain(first.client_secret);
    expect(logged('chatkit_session_created').map((event) => event.refresh)).toEqual([false, true]);
  });

  it('refuses a body that is not JSON or has the wrong types (400)', async () => {
    const res = await callWorker(
      '/api/chatkit/session',
      { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: '{not json' },
      hostedEnv(),
    );
    await expectError(res, 400, 'bad_request');
    await expectError(await postSession(alice.token, { current_client_secret: 42 }), 400, 'bad_request');
    await expectError(await postSession(alice.token, ['a']), 400, 'bad_request');
    // The error names the field but never echoes what was in it.
    const echoed = await expectError(await postSession(alice.token, { current_client_secret: { value: 'ek_do_not_echo' } }), 400, 'bad_request');
    expect(echoed.error.message).toContain('current_client_secret');
    expect(echoed.error.message).not.toContain('ek_do_not_echo');
  });
});

// --- cancel ----------------------------------------------------------------------------------

describe('POST /api/chatkit/session/cancel', () => {
  it("cancels the caller's own session at OpenAI", async () => {
    const session = await expectSession(await postSession(alice.token));
    const res = await postCancel(alice.token, { session_id: session.session_id });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(v.parse(SessionCancelResponseSchema, await res.json())).toEqual({ session_id: session.session_id, status: 'cancelled' });
    expect(await cancelsOf(rawSessionId(session.session_id))).toHaveLength(1);
  });

  it("answers 404 for another user's session, a bare OpenAI id or a tampered handle, without calling OpenAI", async () => {
    const session = await expectSession(await postSession(alice.token));
    const raw = rawSessionId(session.session_id);
    // Flip the MAC's first character (its last one partly encodes padding bits).
    const macStart = session.session_id.lastIndexOf('.') + 1;
    const tampered = raw + '.' + (session.session_id[macStart] === 'A' ? 'B' : 'A') + session.session_id.slice(macStart + 1);
    for (const [token, handle] of [
      [mallory.token, session.session_id],
      [carol.token, session.session_id],
      [alice.token, raw],
      [alice.token, tampered],
      [alice.token, `cksess_${'0'.repeat(48)}.${'A'.repeat(43)}`],
    ] as const) {
      await expectError(await postCancel(token, { session_id: handle }), 404, 'not_found');
    }
    expect(await cancelsOf(raw)).toHaveLength(0);
  });

  it('still lets a rolled-back user cancel their session', async () => {
    const session = await expectSession(await postSession(alice.token));
    const res = await postCancel(alice.token, { session_id: session.session_id }, { ROLLBACK_CHAT: 'true' });
    expect(res.status).toBe(200);
  });

  it('needs a session_id (400)', async () => {
    await expectError(await postCancel(alice.token, {}), 400, 'bad_request');
    await expectError(await postCancel(alice.token, { session_id: '' }), 400, 'bad_request');
  });
});

// --- who may ask -------------------------------------------------------------------------------

describe('gating', () => {
  it('401 without a token, on both routes, and OpenAI never hears of it', async () => {
    const before = (await fakeRequests()).length;
    await expectError(await postSession(null, {}), 401, 'unauthorized');
    await expectError(await postCancel(null, { session_id: 'cksess_x.y' }), 401, 'unauthorized');
    await expectError(await postSession('not-a-jwt', {}), 401, 'unauthorized');
    expect((await fakeRequests()).length).toBe(before);
  });

  it('403 chatkit_disabled for a user the flags keep on legacy (deny_users in KV)', async () => {
    const { result: res, creates } = await countCreates(mallory.userId, () => postSession(mallory.token, {}));
    const body = await expectError(res, 403, 'chatkit_disabled');
    expect(body.error.message).toContain('denied');
    expect(creates).toHaveLength(0);
  });

  it('403 chatkit_disabled for everyone during a rollback', async () => {
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}, { ROLLBACK_CHAT: 'true' }));
    await expectError(res, 403, 'chatkit_disabled');
    expect(creates).toHaveLength(0);
  });

  it.each([
    ['OPENAI_API_KEY', { OPENAI_API_KEY: '' }],
    ['CHATKIT_WORKFLOW_ID', { CHATKIT_WORKFLOW_ID: '' }],
  ])('hosted mode without %s: 503 chatkit_not_configured, and /api/flags says legacy/not_configured', async (missing, extra) => {
    await expectError(await postSession(alice.token, {}, extra), 503, 'chatkit_not_configured');
    await expectError(await postCancel(alice.token, { session_id: 'cksess_x.y' }, extra), 503, 'chatkit_not_configured');
    expect(logged('chatkit_not_configured')[0]).toMatchObject({ missing: [missing] });

    const flags = await callWorker('/api/flags', { headers: { authorization: `Bearer ${alice.token}` } }, hostedEnv(extra));
    expect(v.parse(FlagsResponseSchema, await flags.json()).chat).toEqual({ variant: 'legacy', reason: 'not_configured' });
  });

  it('the same user is on chatkit once hosted mode is configured', async () => {
    const flags = await callWorker('/api/flags', { headers: { authorization: `Bearer ${alice.token}` } }, hostedEnv());
    expect(v.parse(FlagsResponseSchema, await flags.json()).chat).toEqual({ variant: 'chatkit', reason: 'rollout' });
  });

  it('backend mode (the default) answers 503 chatkit_not_configured pointing at /api/chatkit', async () => {
    const overrides = { ...hostedEnv(), CHATKIT_MODE: 'backend' };
    const body = await expectError(await post('/api/chatkit/session', alice.token, {}, overrides), 503, 'chatkit_not_configured');
    expect(body.error.message).toContain('/api/chatkit');
    // With wrangler.toml's own vars (CHATKIT_MODE="backend") as well; only the limiter is
    // widened, since this file sends alice far more than the default 10 sessions a minute.
    const defaults = await callWorker(
      '/api/chatkit/session',
      { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } },
      { RATE_LIMIT_SESSION: '1000/60' },
    );
    await expectError(defaults, 503, 'chatkit_not_configured');
  });

  it('the per-user session rate limit applies before OpenAI is called', async () => {
    // A user of its own: the sliding window remembers every earlier request of the others.
    const rita = await signUpAndGetToken(inject('originUrl'));
    const limited = { RATE_LIMIT_SESSION: '1/60' };
    const { result, creates } = await countCreates(rita.userId, async () => [
      await postSession(rita.token, {}, limited),
      await postSession(rita.token, {}, limited),
    ]);
    await expectSession(result[0]!);
    const refused = result[1]!;
    await expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('1');
    expect(creates).toHaveLength(1);
  });
});

// --- upstream failures --------------------------------------------------------------------------

describe('OpenAI failures', () => {
  // 401/403, 429, 3 retried once, 3 failing twice, a hang, 5 cancels.
  const faultsSurvived = resilienceFigure('faults_survived', 2 + 1 + 3 + 3 + 1 + 5);

  it.each(['401', '403'] as const)('OpenAI %s (bad key) → 502 upstream_error; the reason is logged for the operator only', async (mode) => {
    await setFakeMode(mode, { times: 1 });
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}));
    const body = await expectError(res, 502, 'upstream_error');
    expect(body.error.message).not.toMatch(/key|permission|openai/i);
    expect(creates).toHaveLength(1);
    const [event] = logged('chatkit_upstream_rejected_key');
    expect(event).toMatchObject({ level: 'error', status: Number(mode), user_id: alice.userId, hint: expect.stringContaining('OPENAI_API_KEY') });
    expect(event!.openai_request_id).toMatch(/^req_/);
    await faultsSurvived.record();
  });

  it('OpenAI 429 → 429 rate_limited with its Retry-After, not retried', async () => {
    await setFakeMode('429', { times: 1, retry_after: 7 });
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}));
    await expectError(res, 429, 'rate_limited');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(creates).toHaveLength(1);
    await faultsSurvived.record();
  });

  it.each(['500', '503', 'reset'] as const)('one %s is retried once, and the user gets a session', async (mode) => {
    await setFakeMode(mode, { times: 1 });
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}));
    await expectSession(res);
    expect(creates).toHaveLength(2);
    expect(logged('chatkit_upstream_retry')).toHaveLength(1);
    expect(logged('chatkit_upstream_retry')[0]!.delay_ms).toBeGreaterThanOrEqual(100);
    expect(logged('chatkit_upstream_retry')[0]!.delay_ms).toBeLessThanOrEqual(300);
    await faultsSurvived.record();
  });

  it.each(['500', '503', 'reset'] as const)('%s twice → 502 upstream_error after exactly one retry', async (mode) => {
    await setFakeMode(mode, { times: 2 });
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}));
    await expectError(res, 502, 'upstream_error');
    expect(creates).toHaveLength(2);
    expect(logged('chatkit_upstream_retry')).toHaveLength(1);
    await faultsSurvived.record();
  });

  it('a hanging OpenAI → 504 upstream_timeout after OPENAI_TIMEOUT_MS, not retried', async () => {
    await setFakeMode('hang', { times: 1 });
    const { result: res, creates } = await countCreates(alice.userId, () => postSession(alice.token, {}, { OPENAI_TIMEOUT_MS: '300' }));
    await expectError(res, 504, 'upstream_timeout');
    // The worker's own deadline answered (the fake never does), once.
    expect(logged('chatkit_upstream_timeout')).toMatchObject([{ operation: 'create', attempts: 1 }]);
    expect(creates).toHaveLength(1);
    await faultsSurvived.record();
  });

  it.each([
    ['500', 502, 'upstream_error'],
    ['reset', 502, 'upstream_error'],
    ['hang', 504, 'upstream_timeout'],
    ['429', 429, 'rate_limited'],
    ['401', 502, 'upstream_error'],
  ] as const)('cancel is never retried: %s → %i %s after one call', async (mode, status, code) => {
    const session = await expectSession(await postSession(alice.token));
    await setFakeMode(mode, { times: 2 });
    await expectError(await postCancel(alice.token, { session_id: session.session_id }, { OPENAI_TIMEOUT_MS: '300' }), status, code);
    expect(await cancelsOf(rawSessionId(session.session_id))).toHaveLength(1);
    expect(logged('chatkit_upstream_retry')).toHaveLength(0);
    await faultsSurvived.record();
  });

  it('no client secret and no API key in any log line or error body, across success, refresh and failure', async () => {
    const first = await expectSession(await postSession(alice.token));
    const second = await expectSession(await postSession(alice.token, { current_client_secret: first.client_secret }));
    await setFakeMode('401', { times: 1 });
    const failed = await postSession(alice.token, { current_client_secret: second.client_secret });
    const failedText = await failed.text();
    expect(failed.status).toBe(502);
    await postCancel(alice.token, { session_id: second.session_id });

    expect(logLines.length).toBeGreaterThan(4);
    const everything = [...logLines, failedText].join('\n');
    for (const secret of [first.client_secret, second.client_secret, inject('openaiApiKey')]) expect(everything).not.toContain(secret);
    // Not even the masked key OpenAI echoes in its 401 message.
    expect(everything).not.toMatch(/sk-\*+/);
  });
});
