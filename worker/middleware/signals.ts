import type { Context, MiddlewareHandler } from 'hono';
import type { ChatkitRequestType } from '../../shared/chatkit';
import type { Outcome, RouteClass } from '../../shared/signals';
import { resolvedFlagsFor } from '../flags/chatkit-variant';
import { observeStream, type StreamDialect } from '../signals/observe-stream';
import { recordSignal } from '../signals/sink';
import type { Signal } from '../signals/signal';
import type { AppEnv } from '../types';

/**
 * Rollout signals for every signed-in API call (README "Operations: guarded rollout"): tagged with
 * the user's resolved variant, the ChatKit mode and a route class, and recorded with its outcome
 * once that is known: at once for a plain answer, at the stream's end for a streamed one. Runs
 * around the routes, so it sees their final response (errors included) and the user they verified.
 * Anything that goes wrong here is swallowed: a signal never fails or delays a request.
 */

const CHATKIT_ROUTE_CLASS: Partial<Record<ChatkitRequestType, RouteClass>> = {
  'threads.create': 'turn',
  'threads.add_user_message': 'turn',
  'threads.get_by_id': 'history',
  'threads.list': 'history',
  'items.list': 'history',
  'threads.update': 'history',
  'threads.delete': 'history',
};

/** Called by the ChatKit route once it knows the request's `type` (and a feedback rating). */
export function tagChatkitRequest<E extends AppEnv>(c: Context<E>, request: { type: ChatkitRequestType; params?: unknown }): void {
  c.set('signalRoute', CHATKIT_ROUTE_CLASS[request.type] ?? 'other');
  if (request.type === 'items.feedback') {
    const kind = (request.params as { kind?: string } | undefined)?.kind;
    c.set('signalFeedback', kind === 'positive' ? 'up' : 'down');
  }
}

/** The route class from the path, unless the route said; null = not a call to count. */
export function routeClassOf<E extends AppEnv>(c: Context<E>): RouteClass | null {
  const tagged = c.get('signalRoute');
  if (tagged) return tagged;
  const path = c.req.path;
  if (path === '/api/v1/chat' || path === '/api/v1/chat/') return c.req.method === 'POST' ? 'turn' : 'other';
  if (path.startsWith('/api/v1/conversations')) return 'history';
  if (path.startsWith('/api/v1/tasks')) return 'tasks';
  if (path.startsWith('/api/chatkit/session')) return 'session';
  // Telemetry is recorded as what it carries; ops calls are not user traffic.
  if (path === '/api/telemetry' || path.startsWith('/api/ops/')) return null;
  return 'other';
}

/** Outcome of an answer that is not a stream (or a stream refused before it started). */
export function outcomeOfStatus(status: number, browserGone: boolean): Outcome {
  if (browserGone) return 'aborted';
  if (status === 429) return 'rate_limited';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'upstream_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

function dialectOf<E extends AppEnv>(c: Context<E>, route: RouteClass): StreamDialect {
  if (route !== 'turn') return 'plain';
  return c.req.path.startsWith('/api/chatkit') ? 'chatkit' : 'origin_chat';
}

export function recordSignals(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const startedAt = Date.now();
    await next();
    try {
      const userId = c.get('userId');
      if (!userId) return;
      const route = routeClassOf(c);
      if (route === null) return;
      const flags = await resolvedFlagsFor(c, userId);
      const base = { variant: flags.chat.variant, mode: flags.chatkit.mode };
      const config = c.get('config');
      const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
      const record = (signal: Signal) => recordSignal(c.env, config, waitUntil, signal);

      const res = c.res;
      const feedback = c.get('signalFeedback');
      if (feedback && res.status === 200) record({ type: 'feedback', ...base, rating: feedback });

      const browserGone = c.req.raw.signal;
      if (res.status === 200 && res.body && res.headers.get('content-type')?.startsWith('text/event-stream')) {
        const body = observeStream(res.body, {
          dialect: dialectOf(c, route),
          startedAt,
          browserGone,
          onEnd: ({ outcome, ttftMs }) => record({ type: 'call', ...base, route, outcome, ttftMs, durationMs: Date.now() - startedAt }),
        });
        // A stream watched through its own report comes back as it was: nothing to replace.
        if (body !== res.body) c.res = new Response(body, res);
        return;
      }
      record({ type: 'call', ...base, route, outcome: outcomeOfStatus(res.status, browserGone.aborted), ttftMs: null, durationMs: Date.now() - startedAt });
    } catch {
      // Signals are best effort; the answer is already decided.
    }
  };
}
