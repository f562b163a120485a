import { decodeJwt } from 'jose';
import * as v from 'valibot';

/**
 * The claims the SPA reads from a Better Auth JWT. Better Auth puts the user (id, name, email)
 * in the payload next to `sub` and `exp`; the worker verifies the signature, the browser only
 * reads the expiry (to refresh in time) and the name (to greet the user).
 */
export const AccessTokenClaimsSchema = v.looseObject({
  sub: v.string(),
  exp: v.number(),
  name: v.optional(v.nullable(v.string())),
  email: v.optional(v.nullable(v.string())),
});
export type AccessTokenClaims = v.InferOutput<typeof AccessTokenClaimsSchema>;

/** Reads a JWT's payload WITHOUT verifying it; `null` when it is not a JWT we understand. */
export function readAccessTokenClaims(token: string): AccessTokenClaims | null {
  try {
    const parsed = v.safeParse(AccessTokenClaimsSchema, decodeJwt(token));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
