import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorResponse } from '../lib/errors';
import type { AppEnv } from '../types';

/** `MAX_BODY_BYTES` for every API request: a declared length over it is refused before reading. */
export function bodySizeLimit(): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    bodyLimit({
      maxSize: c.get('config').maxBodyBytes,
      onError: (ctx) => errorResponse(ctx, 'payload_too_large', `Request bodies are limited to ${c.get('config').maxBodyBytes} bytes.`),
    })(c, next);
}
