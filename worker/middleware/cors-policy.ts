import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { errorResponse } from '../lib/errors';
import type { AppEnv } from '../types';

/**
 * CORS for `ALLOWED_ORIGINS` only. The SPA is same-origin and needs none of it; this exists for
 * other first-party front ends. A preflight from any other origin is refused outright, and
 * credentials are only ever allowed together with one echoed origin, never with `*`.
 */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const allowed = origin !== undefined && c.get('config').allowedOrigins.includes(origin);
    const isPreflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
    if (isPreflight && !allowed) return errorResponse(c, 'forbidden', 'This origin may not call the API.');
    if (!allowed) return next();
    return cors({
      origin: (requestOrigin) => requestOrigin,
      credentials: true,
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Accept-Language', 'X-Request-Id', 'Last-Event-ID'],
      exposeHeaders: ['X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'],
      maxAge: 600,
    })(c, next);
  };
}
