import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import { describeIssues } from '../../shared/flags';
import { TELEMETRY_MAX_BYTES, TelemetryBatchSchema, type TelemetryEvent } from '../../shared/telemetry';
import { resolvedFlagsFor } from '../flags/chatkit-variant';
import { ApiError, errorResponse } from '../lib/errors';
import { readJsonBody } from '../lib/json-body';
import { requireUser } from '../middleware/auth';
import { rateLimit } from '../middleware/rate-limit';
import type { Signal } from '../signals/signal';
import { recordSignal } from '../signals/sink';
import type { AppEnv } from '../types';

/**
 * `POST /api/telemetry`: browser rollout signals (shared/telemetry.ts), tagged with the caller's
 * resolved variant and recorded like the edge's own. The whole batch is checked before anything
 * is recorded, so a refused batch (too large, malformed, another user's) records nothing.
 */

function signalOf(event: TelemetryEvent, base: Pick<Signal, 'variant' | 'mode'>): Signal {
  switch (event.type) {
    case 'chatkit_fallback':
      return { type: 'browser', ...base, label: `fallback:${event.reason}`, readyMs: null };
    case 'chatkit_error':
    case 'legacy_stream_error':
      return { type: 'browser', ...base, label: event.type, readyMs: null };
    case 'ready':
      return { type: 'browser', ...base, label: 'ready', readyMs: event.ms };
    case 'feedback':
      return { type: 'feedback', ...base, rating: event.rating };
  }
}

export const telemetryRoutes = new Hono<AppEnv>().post(
  '/api/telemetry',
  requireUser(),
  rateLimit('api', 'user'),
  bodyLimit({
    maxSize: TELEMETRY_MAX_BYTES,
    onError: (c) => errorResponse(c, 'payload_too_large', `Telemetry batches are limited to ${TELEMETRY_MAX_BYTES} bytes.`),
  }),
  async (c) => {
    const parsed = v.safeParse(TelemetryBatchSchema, await readJsonBody(c));
    if (!parsed.success) throw new ApiError('bad_request', `Invalid telemetry: ${describeIssues(parsed.issues, 'body')}`);
    const userId = c.var.userId;
    if (parsed.output.user_id !== undefined && parsed.output.user_id !== userId) {
      throw new ApiError('forbidden', 'Telemetry can only be sent for the signed-in user.');
    }
    const flags = await resolvedFlagsFor(c, userId);
    const base = { variant: flags.chat.variant, mode: flags.chatkit.mode };
    const config = c.get('config');
    for (const event of parsed.output.events) {
      recordSignal(c.env, config, (promise) => c.executionCtx.waitUntil(promise), signalOf(event, base));
    }
    return c.body(null, 204);
  },
);
