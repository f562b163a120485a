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

function decodeBase64Url(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Reads a JWT's payload WITHOUT verifying it; `null` when it is not a JWT we understand. */
export function readAccessTokenClaims(token: string): AccessTokenClaims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const parsed = v.safeParse(AccessTokenClaimsSchema, JSON.parse(decodeBase64Url(payload)));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
