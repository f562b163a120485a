import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../lib/errors';
import { TokenError, verifyAccessToken } from '../lib/jwt';
import { logEvent } from '../lib/log';
import type { AppEnv } from '../types';

const BEARER = /^Bearer ([^\s,]+)$/i;
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="calm-orbit", error="invalid_token"' };

/** The raw bearer token, or null when the header is absent. Anything else malformed throws. */
function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = BEARER.exec(header.trim());
  if (!match?.[1]) throw new TokenError('malformed', 'Authorization is not a single Bearer token');
  return match[1];
}

async function authenticate<E extends AppEnv>(header: string | undefined, c: Context<E>): Promise<string | null> {
  try {
    const token = bearerToken(header);
    if (token === null) return null;
    const { userId } = await verifyAccessToken(token, c.get('config').jwt);
    return userId;
  } catch (err) {
    const reason = err instanceof TokenError ? err.reason : 'malformed';
    logEvent(reason === 'jwks_unavailable' ? 'warn' : 'info', 'auth_rejected', {
      request_id: c.get('requestId'),
      reason,
      detail: err instanceof Error ? err.message : undefined,
    });
    throw new ApiError('unauthorized', 'The access token is missing, invalid or expired.', CHALLENGE);
  }
}

/** What routes behind `requireUser()` see: `c.var.userId`, always set. */
export interface SignedInEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { userId: string };
}

/** Routes behind this read `c.var.userId` = the verified token's `sub`, and nothing else. */
export function requireUser() {
  return createMiddleware<SignedInEnv>(async (c, next) => {
    const userId = await authenticate(c.req.header('authorization'), c);
    if (userId === null) throw new ApiError('unauthorized', 'Sign in first: a Bearer access token is required.', CHALLENGE);
    c.set('userId', userId);
    await next();
  });
}

/** For `/api/flags`: a valid token personalises the answer, no token means anonymous, a bad one is 401. */
export function optionalUser() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const userId = await authenticate(c.req.header('authorization'), c);
    if (userId !== null) c.set('userId', userId);
    await next();
  });
}
