import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';

export type ChatkitOperation = 'create' | 'cancel';

/** When OpenAI answers 429 without a usable `Retry-After`, the browser is told to wait this long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** A `Retry-After` beyond this is clamped: a session is needed now or not at all. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/** A client timeout (the SDK aborted the fetch after `timeout` ms). Checked before `isNetworkError`. */
export function isTimeout(err: unknown): boolean {
  return err instanceof APIConnectionTimeoutError;
}

/** The request never got an HTTP answer: DNS, TCP reset, TLS, a dropped connection. */
export function isNetworkError(err: unknown): boolean {
  return err instanceof APIConnectionError && !isTimeout(err);
}

/**
 * Worth one more try for `create`: OpenAI's own 5xx and connection failures are usually
 * momentary. A timeout is not retried (it already spent the whole budget), nor is any 4xx
 * (the same request would fail the same way; a 429 is the caller's signal to slow down).
 */
export function isTransientForCreate(err: unknown): boolean {
  if (isNetworkError(err)) return true;
  return err instanceof APIError && typeof err.status === 'number' && err.status >= 500;
}

/** `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, as whole seconds ≥ 1. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number {
  const milliseconds = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  let seconds = Number.isFinite(milliseconds) ? milliseconds / 1000 : Number.NaN;
  const header = headers?.get('retry-after')?.trim();
  if (!Number.isFinite(seconds) && header) {
    seconds = /^\d+(\.\d+)?$/.test(header) ? Number(header) : (Date.parse(header) - now) / 1000;
  }
  if (!Number.isFinite(seconds) || seconds <= 0) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/**
 * Upstream text (OpenAI's error messages) can echo a masked key or, in principle, a secret;
 * anything shaped like an OpenAI key or client secret, and the given literals, are cut out
 * before the text reaches a log line.
 */
export function redactSecrets(text: string, literals: readonly string[] = []): string {
  let out = text;
  for (const literal of literals) if (literal) out = out.split(literal).join('[redacted]');
  return out.replace(/\b(?:sk|rk|ek)[-_][A-Za-z0-9*_-]{4,}/g, '[redacted]').slice(0, 500);
}

export interface UpstreamFailureContext {
  operation: ChatkitOperation;
  requestId: string | undefined;
  userId: string;
  /** How many calls were made (2 when the create retry also failed). */
  attempts: number;
  /** Strings that must never be logged even if upstream echoes them (the API key). */
  secrets: readonly string[];
}

/**
 * Turns whatever the SDK threw into the contract error the browser sees, and logs what the
 * operator needs (status, OpenAI's request id, error type/code, a redacted message). The
 * browser never learns why OpenAI refused us: "the key was rejected" is an operator's problem
 * and, worded for a user, only a hint for an attacker.
 */
export function toApiError(err: unknown, context: UpstreamFailureContext): ApiError {
  const base = {
    request_id: context.requestId,
    user_id: context.userId,
    operation: context.operation,
    attempts: context.attempts,
  };

  if (isTimeout(err)) {
    logEvent('error', 'chatkit_upstream_timeout', base);
    return new ApiError('upstream_timeout', 'ChatKit did not answer in time. Try again shortly.');
  }
  if (isNetworkError(err)) {
    const cause = (err as APIConnectionError).cause;
    logEvent('error', 'chatkit_upstream_unreachable', {
      ...base,
      error: redactSecrets(cause instanceof Error ? `${cause.name}: ${cause.message}` : String((err as Error).message), context.secrets),
    });
    return new ApiError('upstream_error', 'ChatKit could not be reached. Try again shortly.');
  }
  if (!(err instanceof APIError) || typeof err.status !== 'number') {
    logEvent('error', 'chatkit_upstream_failed', {
      ...base,
      error: err instanceof Error ? err.name : typeof err,
      message: err instanceof Error ? redactSecrets(err.message, context.secrets) : undefined,
    });
    return new ApiError('upstream_error', 'ChatKit is unavailable right now. Try again shortly.');
  }

  const details = {
    ...base,
    status: err.status,
    openai_request_id: err.requestID ?? undefined,
    error_type: err.type,
    error_code: err.code ?? undefined,
    message: redactSecrets(err.message, context.secrets),
  };

  if (err.status === 401 || err.status === 403) {
    logEvent('error', 'chatkit_upstream_rejected_key', {
      ...details,
      hint:
        err.status === 401
          ? 'OpenAI rejected OPENAI_API_KEY: set a valid key (wrangler secret put OPENAI_API_KEY).'
          : "OPENAI_API_KEY lacks permission for ChatKit: check the key's project, role and scopes, and CHATKIT_WORKFLOW_ID.",
    });
    return new ApiError('upstream_error', 'ChatKit is unavailable right now. Try again later.');
  }
  if (err.status === 429) {
    const seconds = retryAfterSeconds(err.headers);
    logEvent('warn', 'chatkit_upstream_rate_limited', { ...details, retry_after_s: seconds });
    return new ApiError('rate_limited', `Too many ChatKit requests. Retry in ${seconds} s.`, { 'Retry-After': String(seconds) });
  }
  if (err.status === 404 && context.operation === 'cancel') {
    logEvent('info', 'chatkit_session_not_found', details);
    return new ApiError('not_found', 'No such ChatKit session.');
  }
  logEvent('error', 'chatkit_upstream_failed', details);
  return new ApiError('upstream_error', 'ChatKit is unavailable right now. Try again shortly.');
}
