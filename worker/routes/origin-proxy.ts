import { Hono, type Context } from 'hono';
import { requireUser } from '../middleware/auth';
import { rateLimit } from '../middleware/rate-limit';
import { ApiError } from '../lib/errors';
import { proxyToOrigin } from '../lib/proxy';
import { requestUrl } from '../lib/request-url';
import { isSafeProxyPath } from '../lib/safe-path';
import type { AppEnv } from '../types';

const API_PREFIX = '/api/v1/';
const AUTH_PREFIX = '/api/auth/';

/** The path and query to forward, or a 400 when the path could escape `prefix` at the origin. */
function forwardablePath<E extends AppEnv>(c: Context<E>, prefix: string): string {
  const url = requestUrl(c.req.raw);
  if (!isSafeProxyPath(url.pathname, prefix)) {
    throw new ApiError('bad_request', 'This path is not allowed.');
  }
  return `${url.pathname}${url.search}`;
}

/**
 * `/api/v1/*`: only for a verified user, whose id the origin gets as `X-User-Id` (the one
 * identity header it trusts, so whatever the browser sent under that name was dropped).
 * Every call counts against the user's `api` limit; chat calls (which run the model) also
 * against the tighter `chat` one. Both run before the origin is contacted.
 */
export const apiV1Routes = new Hono<AppEnv>()
  .use('/api/v1/*', requireUser(), rateLimit('api', 'user'))
  .use('/api/v1/chat/*', rateLimit('chat', 'user'))
  .all('/api/v1/*', (c) => proxyToOrigin(c, { pathAndQuery: forwardablePath(c, API_PREFIX), setHeaders: { 'x-user-id': c.var.userId } }));

/**
 * `/api/auth/*`: Better Auth on the origin, same-origin for the browser, cookies intact.
 * Limited per client IP (`auth`): there is no user yet, and this is where passwords are guessed.
 */
export const authRoutes = new Hono<AppEnv>().all('/api/auth/*', rateLimit('auth', 'ip'), (c) =>
  proxyToOrigin(c, { pathAndQuery: forwardablePath(c, AUTH_PREFIX), passHeaders: ['cookie'], passSetCookie: true }),
);
