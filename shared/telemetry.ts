import * as v from 'valibot';

/**
 * `POST /api/telemetry`: the browser's rollout signals (README "Operations: guarded rollout"),
 * batched. Strict objects with closed vocabularies only: there is no field a message text, a
 * token or another free-form value could travel in. The worker tags each event with the user's
 * resolved variant; the browser never says which variant it is.
 */

export const TELEMETRY_MAX_BYTES = 8 * 1024;
export const TELEMETRY_MAX_EVENTS = 50;

/** Why a ChatKit user ended up in the legacy chat (web/src/flags/chat-decision.ts). */
export const FallbackReasonSchema = v.picklist(['chatkit_script_failed', 'chatkit_disabled', 'chatkit_not_configured', 'chatkit_failed']);

/** A short error code (ChatKit's or the worker's), never a message. */
const ErrorCodeSchema = v.optional(v.pipe(v.string(), v.maxLength(64), v.regex(/^[A-Za-z0-9_.:-]*$/, 'must be a short code')));

export const TelemetryEventSchema = v.variant('type', [
  v.strictObject({ type: v.literal('chatkit_fallback'), reason: FallbackReasonSchema }),
  v.strictObject({ type: v.literal('chatkit_error'), code: ErrorCodeSchema }),
  v.strictObject({ type: v.literal('legacy_stream_error'), code: ErrorCodeSchema }),
  /** The chat's input became usable, `ms` after navigation started (`performance.now()`). */
  v.strictObject({ type: v.literal('ready'), page: v.picklist(['chatkit', 'legacy']), ms: v.pipe(v.number(), v.minValue(0), v.maxValue(600_000)) }),
  /** Thumbs on a legacy chat answer (ChatKit's own thumbs arrive as `items.feedback`). */
  v.strictObject({ type: v.literal('feedback'), rating: v.picklist(['up', 'down']) }),
]);
export type TelemetryEvent = v.InferOutput<typeof TelemetryEventSchema>;

export const TelemetryBatchSchema = v.strictObject({
  /** Optional; when present it must be the token's user (a body naming anyone else is refused). */
  user_id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
  events: v.pipe(
    v.array(TelemetryEventSchema),
    v.minLength(1, 'must hold at least one event'),
    v.maxLength(TELEMETRY_MAX_EVENTS, `at most ${TELEMETRY_MAX_EVENTS} events`),
  ),
});
export type TelemetryBatch = v.InferOutput<typeof TelemetryBatchSchema>;
