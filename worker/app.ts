import { Hono } from 'hono';
import { ApiError, handleError } from './lib/errors';
import { accessLog } from './middleware/access-log';
import { bodySizeLimit } from './middleware/body-size-limit';
import { corsPolicy } from './middleware/cors-policy';
import { loadConfig } from './middleware/load-config';
import { requestId } from './middleware/request-id';
import { securityHeaders } from './middleware/security-headers';
import { recordSignals } from './middleware/signals';
import { chatkitRoutes } from './routes/chatkit';
import { chatkitSessionRoutes } from './routes/chatkit-session';
import { flagsRoutes } from './routes/flags';
import { healthRoutes } from './routes/health';
import { opsRoutes } from './routes/ops';
import { apiV1Routes, authRoutes } from './routes/origin-proxy';
import { spaRoutes } from './routes/spa';
import { telemetryRoutes } from './routes/telemetry';
import type { AppEnv } from './types';

/**
 * The worker, wired in one place. Every request flows one way:
 * request id → access log → config → security headers → CORS → body limit → signals → route → upstream.
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(accessLog());
  app.use(loadConfig());
  app.use(securityHeaders());
  app.use('/api/*', corsPolicy());
  app.use('/api/*', bodySizeLimit());
  app.use('/api/*', recordSignals());

  app.route('/', healthRoutes);
  app.route('/', flagsRoutes);
  app.route('/', apiV1Routes);
  app.route('/', authRoutes);
  app.route('/', chatkitSessionRoutes);
  app.route('/', chatkitRoutes);
  app.route('/', opsRoutes);
  app.route('/', telemetryRoutes);
  app.route('/', spaRoutes);

  app.notFound(() => {
    throw new ApiError('not_found', 'Not found.');
  });
  app.onError(handleError);
  return app;
}
