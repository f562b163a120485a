import type { MiddlewareHandler } from 'hono';
import { ConfigError, readConfig } from '../config';
import { errorResponse } from '../lib/errors';
import { logEvent } from '../lib/log';
import type { AppEnv } from '../types';

/** Parses the environment (once per isolate) and fails loudly, naming the variable, if it is wrong. */
export function loadConfig(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      c.set('config', readConfig(c.env));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logEvent('error', 'config_invalid', { request_id: c.get('requestId'), problems: err.problems });
      return errorResponse(c, 'internal', err.message);
    }
    await next();
  };
}
