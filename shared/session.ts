import * as v from 'valibot';

/** `POST /api/chatkit/session`: any `user_id` a browser sends is ignored (not even read). */
export const SessionRequestSchema = v.looseObject({
  current_client_secret: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4096)))),
});

export const SessionResponseSchema = v.object({
  client_secret: v.string(),
  /**
   * Opaque to the browser: OpenAI's session id plus a MAC binding it to the user
   * (`cksess_….<mac>`), so only its owner can pass it to `/api/chatkit/session/cancel`.
   */
  session_id: v.string(),
  expires_at: v.number(),
});
export type SessionResponse = v.InferOutput<typeof SessionResponseSchema>;

export const SessionCancelRequestSchema = v.looseObject({
  session_id: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
});

/**
 * `POST /api/chatkit/session/cancel` → 200: the handle that was cancelled and OpenAI's view of
 * the session afterwards (`cancelled`, or `expired` if it had already run out).
 */
export const SessionCancelResponseSchema = v.object({
  session_id: v.string(),
  status: v.picklist(['active', 'expired', 'cancelled']),
});
export type SessionCancelResponse = v.InferOutput<typeof SessionCancelResponseSchema>;
