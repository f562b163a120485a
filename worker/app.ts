import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { ApiError, handleError } from './lib/errors';
import { accessLog } from './middleware/access-log';
import { bodySizeLimit } from './middleware/body-size-limit';
import { corsPolicy } from './middleware/cors-policy';
import { loadConfig } from './middleware/load-config';
import { securityHeaders } from './middleware/security-headers';
import { flagsRoutes } from './routes/flags';
import { healthRoutes } from './routes/health';
import { apiV1Routes, authRoutes } from './routes/origin-proxy';
import { spaRoutes } from './routes/spa';
import type { AppEnv } from './types';

/**
 * The worker, wired in one place. Every request flows one way:
 * request id → access log → config → security headers → CORS → body limit → route → upstream.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId({ headerName: 'X-Request-Id', limitLength: 128 }));
  app.use(accessLog());
  app.use(loadConfig());
  app.use(securityHeaders());
  app.use('/api/*', corsPolicy());
  app.use('/api/*', bodySizeLimit());

  app.route('/', healthRoutes);
  app.route('/', flagsRoutes);
  app.route('/', apiV1Routes);
  app.route('/', authRoutes);
  app.route('/', spaRoutes);

  app.notFound(() => {
    throw new ApiError('not_found', 'Not found.');
  });
  app.onError(handleError);
  return app;
}
