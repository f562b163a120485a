import * as v from 'valibot';

/**
 * The stable error codes of the contract. Clients branch on `code`, never on `message`,
 * so a code is never renamed once shipped.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unsupported_request: 400,
  unauthorized: 401,
  forbidden: 403,
  chatkit_disabled: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  upstream_error: 502,
  chatkit_not_configured: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** `{"error": {"code", "message", "request_id"}}`: every error the worker answers. */
export const ErrorBodySchema = v.object({
  error: v.object({
    code: v.picklist(ERROR_CODES),
    message: v.string(),
    request_id: v.string(),
  }),
});
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
