import { ApiError } from './errors';
import { logEvent } from './log';
import { readExcerpt } from './origin-read';

/**
 * How a failed call to the origin reaches the browser, for the proxy and the ChatKit adapter
 * alike: the same codes, the same messages, the same log events.
 */

export interface OriginCallContext {
  requestId: string | undefined;
  /** Origin path + query; only the path is logged (queries may carry personal data). */
  path: string;
  timeoutMs: number;
  startedAt: number;
  /** When the browser's own hang-up aborted the call, its error is returned as is: nobody is waiting. */
  browserSignal?: AbortSignal;
}

/** A `fetch` to the origin threw: 504 when our deadline fired, else 502 (both logged). */
export function originFetchFailure(error: unknown, timedOut: boolean, call: OriginCallContext): unknown {
  const fields = { request_id: call.requestId, path: call.path.split('?')[0], after_ms: Date.now() - call.startedAt };
  if (timedOut) {
    logEvent('warn', 'origin_timeout', { ...fields, timeout_ms: call.timeoutMs });
    return new ApiError('upstream_timeout', `The origin did not answer within ${call.timeoutMs} ms.`);
  }
  if (call.browserSignal?.aborted) return error;
  logEvent('error', 'origin_unreachable', { ...fields, error: error instanceof Error ? error.message : String(error) });
  return new ApiError('upstream_error', 'The origin could not be reached. Try again shortly.');
}

/**
 * An origin failure status (5xx, or anything the caller cannot pass on): its body may carry a
 * stack trace or internals, so the browser never sees it; the log gets its first 500 characters.
 */
export async function originServerError(response: Response, call: Pick<OriginCallContext, 'requestId' | 'path'>): Promise<ApiError> {
  const body = await readExcerpt(response);
  logEvent('error', 'origin_error', { request_id: call.requestId, path: call.path.split('?')[0], status: response.status, ...(body ? { body } : {}) });
  return new ApiError('upstream_error', `The origin failed to answer (HTTP ${response.status}).`);
}
