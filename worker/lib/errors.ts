import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '../../shared/errors';
import type { AppEnv } from '../types';
import { logEvent } from './log';

/** An error meant for the browser: its code and message are part of the contract. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.headers = headers;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Builds the contract's JSON error; the request id is repeated in the body for support tickets. */
export function errorResponse<E extends AppEnv>(c: Context<E>, code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  const body: ErrorBody = { error: { code, message, request_id: requestId } };
  return new Response(JSON.stringify(body), {
    status: ERROR_STATUS[code],
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': requestId, ...headers },
  });
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  429: 'rate_limited',
  502: 'upstream_error',
  504: 'upstream_timeout',
};

/**
 * `app.onError`: every thrown thing becomes a contract error. Unknown errors are logged with
 * their stack (server side only) and answered as a bare `internal`: no stack, no secret.
 */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return errorResponse(c, err.code, err.message, err.headers);
  if (err instanceof HTTPException) {
    const code = STATUS_CODES[err.status] ?? (err.status >= 500 ? 'internal' : 'bad_request');
    return errorResponse(c, code, err.status >= 500 ? 'Internal error.' : err.message || 'Bad request.');
  }
  logEvent('error', 'unhandled_error', {
    request_id: c.get('requestId'),
    error: err?.name,
    message: err?.message,
    stack: err?.stack,
  });
  return errorResponse(c, 'internal', 'Internal error. Quote the request id when reporting it.');
}
