import type { FlagsResponse } from '../shared/flags';
import type { RouteClass } from '../shared/signals';
import type { Config } from './config';
import type { WindowVerdict } from './rate-limit/sliding-window';

/** Per-request values the middleware chain hands to routes, in the order it sets them. */
export interface AppVariables {
  requestId: string;
  config: Config;
  /** The verified token's `sub`; set by the auth middleware, never from a header or a body. */
  userId?: string;
  /** The tightest rate-limit verdict this request has passed so far (worker/rate-limit/enforce.ts). */
  rateLimitVerdict?: WindowVerdict;
  /** This user's flags, resolved once per request (worker/flags/chatkit-variant.ts). */
  resolvedFlags?: FlagsResponse;
  /** Set by a route that knows better than the path what kind of call this is (ChatKit's `type`). */
  signalRoute?: RouteClass;
  /** A ChatKit `items.feedback` rating, recorded as a signal once the call succeeded. */
  signalFeedback?: 'up' | 'down';
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
