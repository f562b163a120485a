import type { Context } from 'hono';
import type { AppEnv } from '../types';
import { ApiError } from './errors';

/**
 * The request body as JSON, whatever its Content-Type says (chatkit-python reads it that way
 * too); a body that is not JSON is a 400 `bad_request`. With `emptyAs`, an empty (or blank) body
 * reads as that value instead. The app-level body size limit has already applied.
 */
export async function readJsonBody<E extends AppEnv>(c: Context<E>, options: { emptyAs?: unknown } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (options.emptyAs !== undefined && text.trim() === '') return options.emptyAs;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('bad_request', 'The request body is not valid JSON.');
  }
}
