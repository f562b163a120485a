import { Hono } from 'hono';
import { ApiError } from '../lib/errors';
import type { AppEnv } from '../types';

/**
 * Everything that is not an API route is the SPA, served by Workers Static Assets with its
 * single-page-application fallback (client routes get index.html). Unknown `/api/` paths are a
 * JSON 404, never the HTML shell.
 */
export const spaRoutes = new Hono<AppEnv>()
  .all('/api/*', () => {
    throw new ApiError('not_found', 'No such API route.');
  })
  .on(['GET', 'HEAD'], '*', async (c) => {
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    return new Response(asset.body, asset);
  })
  .all('*', () => {
    throw new ApiError('method_not_allowed', 'Only GET and HEAD are served here.');
  });
