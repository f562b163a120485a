import * as v from 'valibot';

/** `POST /api/chatkit/session`: any `user_id` a browser sends is ignored (not even read). */
export const SessionRequestSchema = v.looseObject({
  current_client_secret: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(4096)))),
});

export const SessionResponseSchema = v.object({
  client_secret: v.string(),
  session_id: v.string(),
  expires_at: v.number(),
});
export type SessionResponse = v.InferOutput<typeof SessionResponseSchema>;

export const SessionCancelRequestSchema = v.looseObject({
  session_id: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
});
