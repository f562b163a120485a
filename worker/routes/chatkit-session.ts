import type { Context } from 'hono';
import { Hono } from 'hono';
import * as v from 'valibot';
import { SessionCancelRequestSchema, SessionRequestSchema } from '../../shared/session';
import { hostedChatkitOrThrow } from '../chatkit-hosted/gate';
import { assertChatkitVariant } from '../flags/chatkit-variant';
import { cancelChatkitSession, createChatkitSession } from '../chatkit-hosted/sessions';
import { ApiError } from '../lib/errors';
import { readJsonBody } from '../lib/json-body';
import { isJsonObject } from '../../shared/json';
import { requireUser } from '../middleware/auth';
import { rateLimit } from '../middleware/rate-limit';
import type { AppEnv } from '../types';

/**
 * Hosted-mode ChatKit sessions (README "ChatKit: two modes").
 *
 * `POST /api/chatkit/session`        → `{client_secret, session_id, expires_at}` for the token's user
 * `POST /api/chatkit/session/cancel` → `{session_id, status}` for one of the caller's own sessions
 *
 * Order of checks: token (401) → per-user `session` rate limit (429; both routes spend OpenAI
 * calls on our key) → hosted mode configured (503) → the user's flag variant (403, create only)
 * → body (400) → OpenAI. Cancel skips the variant check on purpose: a user who was just rolled
 * back to the legacy chat must still be able to end the session they hold.
 */
export const chatkitSessionRoutes = new Hono<AppEnv>()
  .post('/api/chatkit/session', requireUser(), rateLimit('session', 'user'), async (c) => {
    const userId = c.var.userId;
    const hosted = hostedChatkitOrThrow(c.get('config'), c.get('requestId'));
    await assertChatkitVariant(c, userId);
    // `user_id` and anything else in the body is never read: identity comes from the token only.
    const body = await readSessionBody(c, SessionRequestSchema);
    // Refresh: ChatKit calls getClientSecret(currentSecret) when the secret is about to expire
    // (or has). A client secret cannot be extended, so, as OpenAI's starter app does, the answer
    // is a brand-new session for the same verified user. The old secret is neither logged nor
    // forwarded; it stops working at its own `expires_at`. (It cannot be cancelled here: the
    // secret does not tell us its session id, and OpenAI offers no lookup by secret.)
    const refresh = typeof body.current_client_secret === 'string' && body.current_client_secret !== '';
    const session = await createChatkitSession({ hosted, userId, requestId: c.get('requestId') }, { refresh });
    c.header('cache-control', 'no-store');
    return c.json(session);
  })
  .post('/api/chatkit/session/cancel', requireUser(), rateLimit('session', 'user'), async (c) => {
    const userId = c.var.userId;
    const hosted = hostedChatkitOrThrow(c.get('config'), c.get('requestId'));
    const { session_id: handle } = await readSessionBody(c, SessionCancelRequestSchema);
    const result = await cancelChatkitSession({ hosted, userId, requestId: c.get('requestId') }, handle);
    c.header('cache-control', 'no-store');
    return c.json(result);
  });

/** An empty body counts as `{}` (ChatKit's first getClientSecret call may send none); anything else must be a JSON object matching `schema`. */
async function readSessionBody<E extends AppEnv, TSchema extends v.GenericSchema>(c: Context<E>, schema: TSchema): Promise<v.InferOutput<TSchema>> {
  const json = await readJsonBody(c, { emptyAs: {} });
  // valibot's object schemas accept arrays; the contract's bodies are JSON objects.
  if (!isJsonObject(json)) throw new ApiError('bad_request', 'The request body must be a JSON object.');
  const result = v.safeParse(schema, json);
  if (!result.success) {
    // Name the field, never echo its value: a misplaced secret must not come back in an error.
    const field = result.issues[0] ? v.getDotPath(result.issues[0]) : null;
    throw new ApiError(
      'bad_request',
      field ? `Invalid request body: ${field} is missing or has the wrong type or length.` : 'The request body must be a JSON object.',
    );
  }
  return result.output;
}
