/**
 * `/__dev/faults` (reference origin only, never the worker): a switch to rehearse a bad rollout.
 * `POST {"chat": {"status": 502, "users": ["<user id>"]}}` makes `POST /api/v1/chat` answer that
 * status for those users (every user when `users` is left out); `DELETE` clears it; `GET` shows it.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { OriginEnv } from '../env';
import { errorResponse } from '../http';

const FaultsSchema = v.strictObject({
  chat: v.optional(
    v.strictObject({
      status: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599)),
      users: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
    }),
  ),
});
export type DevFaults = v.InferOutput<typeof FaultsSchema>;

export interface DevFaultState {
  faults: DevFaults;
}

export function createDevFaultRoutes(state: DevFaultState): Hono<OriginEnv> {
  const routes = new Hono<OriginEnv>();
  routes.get('/', (c) => c.json(state.faults));
  routes.post('/', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return errorResponse(c, 400, 'bad_request', 'Expected a JSON body like {"chat": {"status": 502, "users": ["<user id>"]}}.');
    }
    const parsed = v.safeParse(FaultsSchema, body);
    if (!parsed.success)
      return errorResponse(
        c,
        400,
        'bad_request',
        `Invalid faults: ${parsed.issues.map((issue) => `${v.getDotPath(issue) ?? 'body'}: ${issue.message}`).join('; ')}`,
      );
    state.faults = parsed.output;
    console.log(`[origin] dev faults set: ${JSON.stringify(state.faults)}`);
    return c.json(state.faults);
  });
  routes.delete('/', (c) => {
    state.faults = {};
    console.log('[origin] dev faults cleared');
    return c.body(null, 204);
  });
  return routes;
}

/** In front of `POST /api/v1/chat`: fails the turn for the listed users while the fault is on. */
export function chatFault(state: DevFaultState): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const fault = state.faults.chat;
    const userId = c.req.header('x-user-id');
    if (c.req.method === 'POST' && fault && (!fault.users || (userId !== undefined && fault.users.includes(userId)))) {
      return errorResponse(c, fault.status as 400, 'origin_status', `Failing on purpose (/__dev/faults): ${fault.status}.`);
    }
    await next();
  };
}
