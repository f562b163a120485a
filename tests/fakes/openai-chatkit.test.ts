import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import type { ChatSession, SessionCreateParams } from 'openai/resources/beta/chatkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from './openai-chatkit';

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const origin = () => new URL(fake.url).origin;
const createParams: SessionCreateParams = { user: 'user-1', workflow: { id: 'wf_123' } };

/** Raw POST with the SDK's headers unless overridden, for checks the SDK would never let us make. */
function rawPost(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${fake.apiKey}`,
      'openai-beta': 'chatkit_beta=v1',
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('POST /v1/chatkit/sessions', () => {
  it('returns the ChatSession shape with documented defaults', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { data: session, request_id } = await client.beta.chatkit.sessions.create(createParams).withResponse();
    const after = Math.floor(Date.now() / 1000);

    expect(request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(session).toEqual<ChatSession>({
      id: expect.stringMatching(/^cksess_[0-9a-f]+$/) as string,
      object: 'chatkit.session',
      client_secret: expect.stringMatching(/^ek_[0-9a-f]+$/) as string,
      expires_at: expect.any(Number) as number,
      status: 'active',
      user: 'user-1',
      workflow: { id: 'wf_123', version: null, state_variables: null, tracing: { enabled: true } },
      chatkit_configuration: {
        automatic_thread_titling: { enabled: true },
        file_upload: { enabled: false, max_file_size: 512, max_files: 10 },
        history: { enabled: true, recent_threads: null },
      },
      rate_limits: { max_requests_per_1_minute: 10 },
      max_requests_per_1_minute: 10,
    });
    expect(session.expires_at).toBeGreaterThanOrEqual(before + 600);
    expect(session.expires_at).toBeLessThanOrEqual(after + 600);
  });

  it('applies every optional override', async () => {
    const before = Math.floor(Date.now() / 1000);
    const session = await client.beta.chatkit.sessions.create({
      user: 'user-2',
      workflow: { id: 'wf_9', version: '3', state_variables: { plan: 'pro', seats: 2, beta: true }, tracing: { enabled: false } },
      expires_after: { anchor: 'created_at', seconds: 120 },
      rate_limits: { max_requests_per_1_minute: 30 },
      chatkit_configuration: {
        automatic_thread_titling: { enabled: false },
        file_upload: { enabled: true, max_file_size: 16, max_files: 3 },
        history: { enabled: false, recent_threads: 5 },
      },
    });
    expect(session.workflow).toEqual({
      id: 'wf_9',
      version: '3',
      state_variables: { plan: 'pro', seats: 2, beta: true },
      tracing: { enabled: false },
    });
    expect(session.expires_at - before).toBeGreaterThanOrEqual(120);
    expect(session.expires_at - before).toBeLessThanOrEqual(121);
    expect(session.rate_limits).toEqual({ max_requests_per_1_minute: 30 });
    expect(session.max_requests_per_1_minute).toBe(30);
    expect(session.chatkit_configuration).toEqual({
      automatic_thread_titling: { enabled: false },
      file_upload: { enabled: true, max_file_size: 16, max_files: 3 },
      history: { enabled: false, recent_threads: 5 },
    });
  });

  it('issues a distinct session id and client secret every time', async () => {
    const [a, b] = await Promise.all([client.beta.chatkit.sessions.create(createParams), client.beta.chatkit.sessions.create(createParams)]);
    expect(a.id).not.toBe(b.id);
    expect(a.client_secret).not.toBe(b.client_secret);
  });

  it('records what the SDK sent, headers lower-cased and body parsed', async () => {
    await client.beta.chatkit.sessions.create(createParams);
    const [request] = fake.requests;
    expect(request).toMatchObject<Partial<RecordedRequest>>({
      method: 'POST',
      path: '/v1/chatkit/sessions',
      body: createParams,
    });
    expect(request!.headers['openai-beta']).toBe('chatkit_beta=v1');
    expect(request!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(typeof request!.at).toBe('number');
  });

  it('rejects a wrong API key with 401 invalid_api_key (AuthenticationError)', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key-1234', baseURL: fake.url, maxRetries: 0 });
    const error = await caught(wrong.beta.chatkit.sessions.create(createParams));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error', param: null });
    expect((error as AuthenticationError).message).not.toContain('sk-wrong-key-1234');
    expect((error as AuthenticationError).requestID).toMatch(/^req_/);
  });

  it('rejects a request without any API key with 401', async () => {
    const response = await rawPost('/chatkit/sessions', JSON.stringify(createParams), { authorization: '' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null } });
  });

  it('rejects a missing user with 400 naming the param', async () => {
    const error = await caught(client.beta.chatkit.sessions.create({ workflow: { id: 'wf_1' } } as unknown as SessionCreateParams));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'user', code: 'missing_required_parameter' });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['empty user', { user: '' }, 'user', 'empty_string'],
    ['missing workflow.id', { workflow: {} }, 'workflow.id', 'missing_required_parameter'],
    ['numeric workflow.id', { workflow: { id: 7 } }, 'workflow.id', 'invalid_type'],
    ['expires_after too long', { expires_after: { anchor: 'created_at', seconds: 601 } }, 'expires_after.seconds', 'integer_above_max_value'],
    ['expires_after zero', { expires_after: { anchor: 'created_at', seconds: 0 } }, 'expires_after.seconds', 'integer_below_min_value'],
    ['expires_after decimal', { expires_after: { anchor: 'created_at', seconds: 1.5 } }, 'expires_after.seconds', 'invalid_type'],
    ['wrong anchor', { expires_after: { anchor: 'now', seconds: 60 } }, 'expires_after.anchor', 'invalid_value'],
    ['rate limit as string', { rate_limits: { max_requests_per_1_minute: '10' } }, 'rate_limits.max_requests_per_1_minute', 'invalid_type'],
    [
      'file size above 512',
      { chatkit_configuration: { file_upload: { max_file_size: 513 } } },
      'chatkit_configuration.file_upload.max_file_size',
      'integer_above_max_value',
    ],
    ['object state variable', { workflow: { id: 'wf', state_variables: { a: {} } } }, 'workflow.state_variables.a', 'invalid_type'],
    ['unknown top-level field', { metadata: {} }, 'metadata', 'unknown_parameter'],
  ])('rejects %s with 400', async (_name, override, param, code) => {
    const body = { ...createParams, ...override } as unknown as SessionCreateParams;
    const error = await caught(client.beta.chatkit.sessions.create(body));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param, code, type: 'invalid_request_error' });
  });

  it('rejects a request without the OpenAI-Beta header with 400', async () => {
    const response = await rawPost('/chatkit/sessions', JSON.stringify(createParams), { 'openai-beta': '' });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await response.json()).toEqual({
      error: { message: expect.stringContaining('OpenAI-Beta') as string, type: 'invalid_request_error', param: null, code: 'invalid_beta' },
    });
  });

  it('rejects a body that is not JSON with 400', async () => {
    const response = await rawPost('/chatkit/sessions', '{"user":');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining('could not parse the JSON body') as string } });
  });

  it('answers an unknown route with 404 Invalid URL', async () => {
    const response = await rawPost('/chatkit/nope', '{}');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/chatkit/nope)' } });
  });
});

describe('POST /v1/chatkit/sessions/:id/cancel', () => {
  it('cancels a known session and returns it with status "cancelled"', async () => {
    const created = await client.beta.chatkit.sessions.create(createParams);
    const cancelled = await client.beta.chatkit.sessions.cancel(created.id);
    expect(cancelled).toEqual({ ...created, status: 'cancelled' });
  });

  it('answers an unknown session with 404 (NotFoundError)', async () => {
    const error = await caught(client.beta.chatkit.sessions.cancel('cksess_unknown'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, type: 'invalid_request_error' });
  });

  it('applies the same key and beta-header checks as create', async () => {
    const created = await client.beta.chatkit.sessions.create(createParams);
    const noBeta = await rawPost(`/chatkit/sessions/${created.id}/cancel`, '', { 'openai-beta': '' });
    expect(noBeta.status).toBe(400);
    const wrongKey = await rawPost(`/chatkit/sessions/${created.id}/cancel`, '', { authorization: 'Bearer sk-nope' });
    expect(wrongKey.status).toBe(401);
  });
});

describe('failure injection', () => {
  it('429 carries retry-after and surfaces as RateLimitError, for `times` requests only', async () => {
    fake.setMode({ mode: '429', times: 1, retry_after: 7 });
    const error = await caught(client.beta.chatkit.sessions.create(createParams));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((error as RateLimitError).headers.get('retry-after')).toBe('7');
    await expect(client.beta.chatkit.sessions.create(createParams)).resolves.toMatchObject({ status: 'active' });
  });

  it('500 and 503 surface as InternalServerError until the mode is changed', async () => {
    fake.setMode('500');
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toMatchObject({ status: 500 });
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toBeInstanceOf(InternalServerError);
    fake.setMode({ mode: '503' });
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toMatchObject({ status: 503, type: 'server_error' });
  });

  it('401 and 403 are injectable even with a correct key', async () => {
    fake.setMode({ mode: '401', times: 1 });
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toBeInstanceOf(AuthenticationError);
    fake.setMode({ mode: '403', times: 1 });
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toBeInstanceOf(PermissionDeniedError);
  });

  it('hang never answers, so the SDK times out', async () => {
    fake.setMode({ mode: 'hang', times: 1 });
    const error = await caught(client.beta.chatkit.sessions.create(createParams, { timeout: 300 }));
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('reset drops the connection, so the SDK reports a connection error', async () => {
    fake.setMode({ mode: 'reset', times: 1 });
    const error = await caught(client.beta.chatkit.sessions.create(createParams));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).not.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('counts a retrying client’s attempts against `times`', async () => {
    const retrying = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 2 });
    fake.setMode({ mode: '429', times: 2, retry_after: 0.01 });
    await expect(retrying.beta.chatkit.sessions.create(createParams)).resolves.toMatchObject({ status: 'active' });
    expect(fake.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
  });

  it('is steerable over HTTP, also under the /v1 prefix', async () => {
    const setMode = await fetch(`${fake.url}/__fake/mode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: '503', times: 1 }),
    });
    expect(setMode.status).toBe(200);
    expect(await caught(client.beta.chatkit.sessions.create(createParams))).toMatchObject({ status: 503 });
    await client.beta.chatkit.sessions.create(createParams);

    const recorded = (await (await fetch(`${origin()}/__fake/requests`)).json()) as RecordedRequest[];
    expect(recorded.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/v1/chatkit/sessions'],
      ['POST', '/v1/chatkit/sessions'],
    ]);
    expect(recorded[0]!.body).toEqual(createParams);

    const badMode = await fetch(`${origin()}/__fake/mode`, { method: 'POST', body: '{"mode":"418"}' });
    expect(badMode.status).toBe(400);

    await fetch(`${origin()}/__fake/mode`, { method: 'POST', body: '{"mode":"500"}' });
    expect((await fetch(`${origin()}/__fake/reset`, { method: 'POST' })).status).toBe(200);
    expect(fake.requests).toEqual([]);
    await expect(client.beta.chatkit.sessions.create(createParams)).resolves.toMatchObject({ status: 'active' });
  });
});
