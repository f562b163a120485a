import {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildSessionCreateParams } from '../../worker/chatkit-hosted/session-params';
import { openSessionHandle, sealSessionHandle } from '../../worker/chatkit-hosted/session-handle';
import { retryOnce } from '../../worker/chatkit-hosted/retry';
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  isTransientForCreate,
  redactSecrets,
  retryAfterSeconds,
  toApiError,
  type UpstreamFailureContext,
} from '../../worker/chatkit-hosted/upstream-errors';
import { parseConfig } from '../../worker/config';
import { ApiError } from '../../worker/lib/errors';

/**
 * The pieces of the hosted-session path that the end-to-end file cannot drive through the
 * OpenAI fake (a 429 without `Retry-After`, HTTP-date headers, forged handles). No network.
 */

const API_KEY = 'sk-unit-test-key-0123456789';
const openaiBody = (message: string) => ({ error: { message, type: 'invalid_request_error', param: null, code: null } });
const headers = (init: Record<string, string> = {}) => new Headers({ 'x-request-id': 'req_unit', ...init });

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const method of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((line: unknown) => void lines.push(String(line)));
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const line of lines) expect(line).not.toContain(API_KEY);
});

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{}, DEFAULT_RETRY_AFTER_SECONDS],
    [{ 'retry-after': '7' }, 7],
    [{ 'retry-after': '2.2' }, 3],
    [{ 'retry-after': '0' }, 1],
    [{ 'retry-after': 'soon' }, 1],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, 30],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, 1],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 2],
    [{ 'retry-after': '999999' }, 3600],
  ])('%j → %i s', (init, expected) => {
    expect(retryAfterSeconds(new Headers(init), now)).toBe(expected);
  });
  it('no headers at all → the default', () => {
    expect(retryAfterSeconds(undefined)).toBe(1);
  });
});

describe('toApiError', () => {
  const context: UpstreamFailureContext = { operation: 'create', requestId: 'r1', userId: 'u1', attempts: 1, secrets: [API_KEY] };

  it('429 without Retry-After → rate_limited with Retry-After: 1', () => {
    const error = toApiError(new RateLimitError(429, openaiBody('slow down'), undefined, headers()), context);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('rate_limited');
    expect(error.headers).toEqual({ 'Retry-After': '1' });
  });

  it('401 → upstream_error; the operator log names the fix, redacts the key OpenAI echoes', () => {
    const error = toApiError(new AuthenticationError(401, openaiBody(`Incorrect API key provided: ${API_KEY}.`), undefined, headers()), context);
    expect(error.code).toBe('upstream_error');
    expect(error.message).not.toMatch(/key/i);
    const event = JSON.parse(lines.find((line) => line.includes('chatkit_upstream_rejected_key'))!) as Record<string, unknown>;
    expect(event).toMatchObject({ status: 401, openai_request_id: 'req_unit', hint: expect.stringContaining('OPENAI_API_KEY') });
    expect(event.message).toContain('[redacted]');
  });

  it.each([
    ['timeout', new APIConnectionTimeoutError(), 'create', 'upstream_timeout'],
    ['connection error', new APIConnectionError({ cause: new Error('ECONNRESET') }), 'create', 'upstream_error'],
    ['500', new InternalServerError(500, openaiBody('boom'), undefined, headers()), 'create', 'upstream_error'],
    ['400', new BadRequestError(400, openaiBody('bad'), undefined, headers()), 'create', 'upstream_error'],
    ['404 on create', new NotFoundError(404, openaiBody('no workflow'), undefined, headers()), 'create', 'upstream_error'],
    ['404 on cancel', new NotFoundError(404, openaiBody('no session'), undefined, headers()), 'cancel', 'not_found'],
    ['a plain Error', new TypeError('x is undefined'), 'create', 'upstream_error'],
  ] as const)('%s → %s', (_name, err, operation, code) => {
    expect(toApiError(err, { ...context, operation }).code).toBe(code);
  });
});

describe('isTransientForCreate', () => {
  it.each([
    ['500', new InternalServerError(500, undefined, undefined, headers()), true],
    ['503', new InternalServerError(503, undefined, undefined, headers()), true],
    ['connection error', new APIConnectionError({}), true],
    ['timeout', new APIConnectionTimeoutError(), false],
    ['429', new RateLimitError(429, undefined, undefined, headers()), false],
    ['401', new AuthenticationError(401, undefined, undefined, headers()), false],
    ['400', new BadRequestError(400, undefined, undefined, headers()), false],
    ['a plain Error', new Error('x'), false],
  ] as const)('%s → %s', (_name, err, expected) => {
    expect(isTransientForCreate(err)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it('cuts the given literals and anything key- or secret-shaped', () => {
    const text = redactSecrets(`key ${API_KEY}, masked sk-****abcd, secret ek_0123456789abcdef, session cksess_abc`, [API_KEY]);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('sk-****');
    expect(text).not.toContain('ek_0123');
    expect(text).toContain('cksess_abc');
  });
});

describe('retryOnce', () => {
  it('retries exactly once when allowed, waiting the jittered delay', async () => {
    const fn = vi.fn().mockRejectedValueOnce(new Error('first')).mockResolvedValueOnce('ok');
    const onRetry = vi.fn();
    expect(await retryOnce(fn, { retryIf: () => true, onRetry, delayMs: () => 1 })).toEqual({ ok: true, value: 'ok', attempts: 2 });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(onRetry).toHaveBeenCalledWith(expect.any(Error), 1);
  });
  it('gives up after the second failure', async () => {
    const fn = vi.fn().mockRejectedValue(new Error('down'));
    const result = await retryOnce(fn, { retryIf: () => true, delayMs: () => 1 });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(fn).toHaveBeenCalledTimes(2);
  });
  it('does not retry what retryIf refuses', async () => {
    const fn = vi.fn().mockRejectedValue(new Error('4xx'));
    expect(await retryOnce(fn, { retryIf: () => false })).toMatchObject({ ok: false, attempts: 1 });
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('session handles (who may cancel)', () => {
  const sessionId = `cksess_${'ab'.repeat(24)}`;

  it('round-trips for the user it was minted for, and only for them', async () => {
    const handle = await sealSessionHandle(API_KEY, 'user-a', sessionId);
    expect(handle.startsWith(`${sessionId}.`)).toBe(true);
    expect(await openSessionHandle(API_KEY, 'user-a', handle)).toBe(sessionId);
    expect(await openSessionHandle(API_KEY, 'user-b', handle)).toBeNull();
    expect(await openSessionHandle('sk-another-deployment-key', 'user-a', handle)).toBeNull();
  });

  it('accepts only the canonical spelling of the MAC (no padding-bit variants)', async () => {
    const handle = await sealSessionHandle(API_KEY, 'user-a', sessionId);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(handle.at(-1)!);
    // Same 4 significant bits, different 2 padding bits: decodes to the same MAC bytes.
    const variant = handle.slice(0, -1) + alphabet[(last & ~0b11) | ((last + 1) & 0b11)]!;
    expect(variant).not.toBe(handle);
    expect(await openSessionHandle(API_KEY, 'user-a', variant)).toBeNull();
    for (let i = 0; i < 43; i += 7) {
      const index = handle.length - 43 + i;
      const flipped = handle.slice(0, index) + (handle[index] === 'A' ? 'B' : 'A') + handle.slice(index + 1);
      expect(await openSessionHandle(API_KEY, 'user-a', flipped)).toBeNull();
    }
  });

  it.each(['', 'nodot', `${sessionId}.`, `${sessionId}.short`, `.${'A'.repeat(43)}`, `cksess_../x.${'A'.repeat(43)}`, `${sessionId}.${'!'.repeat(43)}`])(
    'refuses %j',
    async (handle) => {
      expect(await openSessionHandle(API_KEY, 'user-a', handle)).toBeNull();
    },
  );

  it('refuses to seal an id of an unexpected shape', async () => {
    await expect(sealSessionHandle(API_KEY, 'user-a', 'cksess/../../x')).rejects.toThrow();
  });
});

describe('session options from config', () => {
  const base = {
    ORIGIN_URL: 'http://127.0.0.1:8788',
    JWT_JWKS_URL: 'http://127.0.0.1:8788/api/auth/jwks',
    JWT_ISSUER: 'i',
    JWT_AUDIENCE: 'a',
  };
  const configOf = (vars: Record<string, string>) => {
    const config = parseConfig({ ...base, ...vars });
    if (config instanceof Error) throw config;
    return config;
  };

  it('unset and empty mean "OpenAI\'s default" and send nothing', () => {
    const config = configOf({ CHATKIT_SESSION_TTL_SECONDS: '', CHATKIT_HISTORY_ENABLED: ' ' });
    expect(config.chatkit.session).toEqual({
      ttlSeconds: null,
      maxRequestsPerMinute: null,
      historyEnabled: null,
      fileUploadEnabled: null,
      automaticTitling: null,
    });
    expect(config.chatkit.openaiTimeoutMs).toBe(10_000);
    expect(buildSessionCreateParams('u', 'wf', config.chatkit.session)).toEqual({ user: 'u', workflow: { id: 'wf' } });
  });

  it('set values become the SDK shapes', () => {
    const config = configOf({
      CHATKIT_SESSION_TTL_SECONDS: '300',
      CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE: '20',
      CHATKIT_HISTORY_ENABLED: 'TRUE',
      CHATKIT_FILE_UPLOAD_ENABLED: 'false',
      OPENAI_TIMEOUT_MS: '2500',
    });
    expect(config.chatkit.openaiTimeoutMs).toBe(2500);
    expect(buildSessionCreateParams('u', 'wf', config.chatkit.session)).toEqual({
      user: 'u',
      workflow: { id: 'wf' },
      expires_after: { anchor: 'created_at', seconds: 300 },
      rate_limits: { max_requests_per_1_minute: 20 },
      chatkit_configuration: { history: { enabled: true }, file_upload: { enabled: false } },
    });
  });

  it('reports every bad session var at once, by name', () => {
    const error = parseConfig({ ...base, CHATKIT_SESSION_TTL_SECONDS: '0', CHATKIT_AUTOMATIC_TITLING: 'on', OPENAI_TIMEOUT_MS: '0' });
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('CHATKIT_SESSION_TTL_SECONDS must be at least 1');
    expect(message).toContain('CHATKIT_AUTOMATIC_TITLING must be "true", "false" or empty');
    expect(message).toContain('OPENAI_TIMEOUT_MS must be at least 1');
  });
});
