import type { MiddlewareHandler } from 'hono';
import { requestId as honoRequestId } from 'hono/request-id';
import { setResponseHeaders } from '../lib/response-headers';
import type { AppEnv } from '../types';

/**
 * `X-Request-Id` on every response: a well-formed incoming id is kept (so a trace can span the
 * browser, this worker and the origin), anything else is replaced by a fresh UUID. Hono's
 * middleware picks the id; the header is stamped after the route because routes that return a
 * proxied or asset `Response` bypass Hono's prepared headers.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  const pickId = honoRequestId({ headerName: 'X-Request-Id', limitLength: 128 });
  return async (c, next) =>
    pickId(c, async () => {
      await next();
      setResponseHeaders(c, { 'X-Request-Id': c.get('requestId') });
    });
}
