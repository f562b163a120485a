import type { Config } from './config';

/** Per-request values the middleware chain hands to routes, in the order it sets them. */
export interface AppVariables {
  requestId: string;
  config: Config;
  /** The verified token's `sub`; set by the auth middleware, never from a header or a body. */
  userId?: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
