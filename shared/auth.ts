import * as v from 'valibot';

/**
 * `GET /api/auth/token` (Better Auth's JWT plugin, proxied by the worker): the access token the
 * SPA sends as `Authorization: Bearer …`. Used by the SPA and the reference origin's test client.
 */
export const TokenResponseSchema = v.object({ token: v.pipe(v.string(), v.minLength(1)) });
export type TokenResponse = v.InferOutput<typeof TokenResponseSchema>;

/**
 * A user id (a token's `sub`) the worker accepts and forwards as `X-User-Id`: 1–255 printable
 * ASCII characters, no leading or trailing space, nothing else. `" victim"` and `"victim\t"`
 * would otherwise be different rate-limit and flag keys for what the origin reads as one user,
 * and a control character could not be sent as a header at all.
 */
export const SubjectSchema = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, 'sub must be 1-255 printable ASCII characters without surrounding spaces'),
);
export const isCleanSubject = (value: unknown): value is string => v.is(SubjectSchema, value);
