import type { ChatSession } from 'openai/resources/beta/chatkit';
import * as v from 'valibot';
import { SessionResponseSchema, type SessionCancelResponse, type SessionResponse } from '../../shared/session';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';
import type { HostedChatkit } from './gate';
import { openaiClientFor } from './openai-client';
import { retryOnce } from './retry';
import { openSessionHandle, sealSessionHandle } from './session-handle';
import { buildSessionCreateParams } from './session-params';
import { isTransientForCreate, toApiError } from './upstream-errors';

export interface SessionCall {
  hosted: HostedChatkit;
  /** The verified token's `sub`; the only identity ever sent to OpenAI. */
  userId: string;
  requestId: string | undefined;
}

/**
 * Creates a ChatKit session for the caller and returns what the web component needs.
 *
 * Retry policy (the SDK's own retries are off): a 5xx or a connection failure is retried once
 * after 100–300 ms of jitter. Create is not idempotent, so a retry after a 5xx that OpenAI
 * actually completed leaves one orphan session behind; it is unused, bound to this same user,
 * and expires on its own, which is cheaper than failing the user's chat window. A timeout is
 * not retried: it has already spent the whole budget the user is waiting on.
 */
export async function createChatkitSession({ hosted, userId, requestId }: SessionCall, { refresh }: { refresh: boolean }): Promise<SessionResponse> {
  const client = openaiClientFor(hosted);
  const params = buildSessionCreateParams(userId, hosted.workflowId, hosted.session);
  const result = await retryOnce(() => client.beta.chatkit.sessions.create(params, { timeout: hosted.timeoutMs, maxRetries: 0 }), {
    retryIf: isTransientForCreate,
    onRetry: (error, delayMs) =>
      logEvent('warn', 'chatkit_upstream_retry', {
        request_id: requestId,
        user_id: userId,
        operation: 'create',
        status: error instanceof Error && 'status' in error ? error.status : undefined,
        error: error instanceof Error ? error.name : typeof error,
        delay_ms: delayMs,
      }),
  });
  if (!result.ok) {
    throw toApiError(result.error, { operation: 'create', requestId, userId, attempts: result.attempts, secrets: [hosted.apiKey] });
  }

  const session = result.value;
  const body = v.safeParse(SessionResponseSchema, {
    client_secret: session.client_secret,
    session_id: await sealSessionHandle(hosted.apiKey, userId, session.id),
    expires_at: session.expires_at,
  });
  if (!body.success || !body.output.client_secret) {
    logEvent('error', 'chatkit_upstream_invalid_session', { request_id: requestId, user_id: userId, session_id: session.id });
    throw new ApiError('upstream_error', 'ChatKit is unavailable right now. Try again shortly.');
  }
  // Never the client secret: it is a bearer credential for this user's chat until it expires.
  logEvent('info', 'chatkit_session_created', {
    request_id: requestId,
    user_id: userId,
    session_id: session.id,
    expires_at: session.expires_at,
    refresh,
    attempts: result.attempts,
  });
  return body.output;
}

/**
 * Cancels one of the caller's sessions. `handle` is the `session_id` the create call returned;
 * one that was not minted for this user is answered exactly like an unknown one (404).
 * Never retried: a cancel that timed out may have landed, and the session expires anyway.
 */
export async function cancelChatkitSession({ hosted, userId, requestId }: SessionCall, handle: string): Promise<SessionCancelResponse> {
  const sessionId = await openSessionHandle(hosted.apiKey, userId, handle);
  if (sessionId === null) {
    logEvent('warn', 'chatkit_cancel_refused', { request_id: requestId, user_id: userId, reason: 'handle_not_owned_or_invalid' });
    throw new ApiError('not_found', 'No such ChatKit session.');
  }
  let session: ChatSession;
  try {
    session = await openaiClientFor(hosted).beta.chatkit.sessions.cancel(sessionId, { timeout: hosted.timeoutMs, maxRetries: 0 });
  } catch (err) {
    throw toApiError(err, { operation: 'cancel', requestId, userId, attempts: 1, secrets: [hosted.apiKey] });
  }
  logEvent('info', 'chatkit_session_cancelled', { request_id: requestId, user_id: userId, session_id: sessionId, status: session.status });
  return { session_id: handle, status: session.status };
}
