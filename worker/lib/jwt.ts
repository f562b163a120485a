import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../config';

/**
 * Verifies a Better Auth access token and returns the user id it carries (`sub`).
 *
 * Algorithms are pinned per key source: asymmetric ones for the JWKS, HS256 only for the
 * shared secret, so a token can never make us check an HMAC against a public key, and `none`
 * is never accepted. Header-supplied keys (`jwk`, `jku`, `x5u`, `x5c`) are refused outright.
 */

export const JWKS_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export const SECRET_ALGORITHMS = ['HS256'] as const;
/** Tokens larger than this are refused before any parsing work (Better Auth's are ~400 bytes). */
export const MAX_TOKEN_BYTES = 8192;
const CLOCK_TOLERANCE_SECONDS = 30;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KEY_SUPPLYING_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export type TokenRejection =
  | 'too_large'
  | 'malformed'
  | 'key_in_header'
  | 'algorithm_not_allowed'
  | 'expired'
  | 'claim_invalid'
  | 'signature_invalid'
  | 'unknown_key'
  | 'jwks_unavailable'
  | 'subject_invalid';

export class TokenError extends Error {
  constructor(readonly reason: TokenRejection, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'TokenError';
  }
}

export interface VerifiedToken {
  userId: string;
  expiresAt: number | undefined;
}

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
/**
 * One JWKS cache per URL for the life of the isolate: keys are fetched once, refetched on an
 * unknown `kid` at most every 30 s (jose's cool-down), and re-validated after 10 minutes.
 */
const jwksByUrl = new Map<string, RemoteJwks>();

function remoteJwks(url: string): RemoteJwks {
  let jwks = jwksByUrl.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url), {
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 3_000,
    });
    jwksByUrl.set(url, jwks);
  }
  return jwks;
}

const secretKeys = new Map<string, Uint8Array>();
function secretKey(secret: string): Uint8Array {
  let key = secretKeys.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    secretKeys.set(secret, key);
  }
  return key;
}

export async function verifyAccessToken(token: string, jwt: Config['jwt']): Promise<VerifiedToken> {
  if (token.length > MAX_TOKEN_BYTES) throw new TokenError('too_large');
  if (!COMPACT_JWS.test(token)) throw new TokenError('malformed');

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new TokenError('malformed', 'header is not JSON');
  }
  if (KEY_SUPPLYING_HEADERS.some((name) => name in header)) throw new TokenError('key_in_header');

  const alg = typeof header.alg === 'string' ? header.alg : '';
  const options = { issuer: jwt.issuer, audience: jwt.audience, clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp', 'sub'] };
  let payload: JWTPayload;
  try {
    if ((SECRET_ALGORITHMS as readonly string[]).includes(alg) && jwt.secret) {
      ({ payload } = await jwtVerify(token, secretKey(jwt.secret), { ...options, algorithms: [...SECRET_ALGORITHMS] }));
    } else if ((JWKS_ALGORITHMS as readonly string[]).includes(alg) && jwt.jwksUrl) {
      ({ payload } = await jwtVerify(token, remoteJwks(jwt.jwksUrl), { ...options, algorithms: [...JWKS_ALGORITHMS] }));
    } else {
      throw new TokenError('algorithm_not_allowed', alg || 'missing');
    }
  } catch (err) {
    throw toTokenError(err);
  }

  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new TokenError('subject_invalid');
  }
  return { userId: payload.sub, expiresAt: payload.exp };
}

function toTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof errors.JWTExpired) return new TokenError('expired');
  if (err instanceof errors.JWTClaimValidationFailed) return new TokenError('claim_invalid', err.claim);
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenError('signature_invalid');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return new TokenError('unknown_key');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return new TokenError('jwks_unavailable', err.code);
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenError('algorithm_not_allowed');
  if (err instanceof errors.JOSEError) return new TokenError('malformed', err.code);
  // A JWKS endpoint that is down or answers junk surfaces as a plain fetch/JSON error.
  return new TokenError('jwks_unavailable', err instanceof Error ? err.name : 'unknown');
}
