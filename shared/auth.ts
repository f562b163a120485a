import * as v from 'valibot';

/**
 * `GET /api/auth/token` (Better Auth's JWT plugin, proxied by the worker): the access token the
 * SPA sends as `Authorization: Bearer …`. Used by the SPA and the reference origin's test client.
 */
export const TokenResponseSchema = v.object({ token: v.pipe(v.string(), v.minLength(1)) });
export type TokenResponse = v.InferOutput<typeof TokenResponseSchema>;
