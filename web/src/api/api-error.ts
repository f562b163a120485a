import * as v from 'valibot';
import { ErrorBodySchema, type ErrorCode } from '../../../shared/errors';

/**
 * A failed call to the worker. `code` is the contract's stable error code when the body had one
 * (`rate_limited`, `chatkit_disabled`, …), else `null`; UI code branches on `code`, never on text.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | null,
    readonly requestId: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** The body did not match the contract: a deploy skew or a bug, never the user's fault. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
}

/** Turns a non-2xx response into an ApiError, using the contract's JSON error body when present. */
export async function readApiError(response: Response): Promise<ApiError> {
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (an HTML error page from something in between): fall through to a generic error.
  }
  const parsed = v.safeParse(ErrorBodySchema, body);
  if (parsed.success) {
    const { code, message, request_id: requestId } = parsed.output.error;
    return new ApiError(message, response.status, code, requestId, retryAfterSeconds);
  }
  return new ApiError(
    `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`,
    response.status,
    null,
    response.headers.get('x-request-id'),
    retryAfterSeconds,
  );
}

/** Reads a 2xx JSON body and validates it against `schema`; anything else throws. */
export async function readJson<TSchema extends v.GenericSchema>(response: Response, schema: TSchema): Promise<v.InferOutput<TSchema>> {
  if (!response.ok) throw await readApiError(response);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ContractError('The server sent a response that is not JSON.');
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    throw new ContractError(`The server sent an unexpected response: ${v.summarize(parsed.issues)}`);
  }
  return parsed.output;
}

/** Words for people, not stack traces: what went wrong and what they can do about it. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'rate_limited':
        return error.retryAfterSeconds
          ? `You're going a little fast. Please wait ${error.retryAfterSeconds} seconds and try again.`
          : "You're going a little fast. Please wait a moment and try again.";
      case 'payload_too_large':
        return 'That message is too long. Please shorten it and try again.';
      case 'upstream_timeout':
        return 'The assistant took too long to answer. Please try again.';
      case 'upstream_error':
        return 'The assistant is unavailable right now. Please try again shortly.';
      case 'unauthorized':
        return 'Your session has expired. Please sign in again.';
      case 'not_found':
        return 'That conversation no longer exists.';
      case 'internal':
        return 'Something went wrong on our side. Please try again.';
      default:
        return error.message;
    }
  }
  if (error instanceof ContractError) return 'The server sent something unexpected. Please reload the page.';
  if (error instanceof TypeError) return "Couldn't reach the server. Check your connection and try again.";
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Please try again.';
}
