import type { MiddlewareHandler } from 'hono';
import { logEvent } from '../lib/log';
import { requestUrl } from '../lib/request-url';
import type { AppEnv } from '../types';

/**
 * One structured line per request once the response is ready. The path is logged without
 * its query string (queries can carry personal data); tokens and secrets are never in scope.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    const status = c.res.status;
    logEvent(status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info', 'request', {
      request_id: c.get('requestId'),
      method: c.req.method,
      path: requestUrl(c.req.raw).pathname,
      status,
      duration_ms: Date.now() - started,
      user_id: c.get('userId'),
    });
  };
}
