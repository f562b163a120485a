import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { isCleanSubject } from '../../shared/auth';
import type { Config } from '../config';
import { JwksSource } from './jwks-source';

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
  constructor(
    readonly reason: TokenRejection,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'TokenError';
  }
}

export interface VerifiedToken {
  userId: string;
  expiresAt: number | undefined;
}

/** Options of a {@link TokenVerifier}; the defaults are production's. */
export interface TokenVerifierOptions {
  /** Milliseconds since the epoch; tests pass their own clock. */
  now?: () => number;
  /** Verified tokens kept per isolate (the oldest is evicted first). */
  maxCachedTokens?: number;
  /** How long a verified token is trusted without checking its signature again (at most its `exp`). */
  cacheMs?: number;
}

export const TOKEN_CACHE_MS = 60_000;
const MAX_CACHED_TOKENS = 10_000;
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_FETCH_TIMEOUT_MS = 3_000;

interface CachedToken extends VerifiedToken {
  /** When the entry stops being used: the earlier of the token's `exp` and `cacheMs` after it was verified. */
  until: number;
}

/**
 * Verifies tokens against the configured keys, remembering the ones that verified.
 *
 * The cache is keyed by a SHA-256 of the token together with the key configuration, so a token
 * is never trusted under a configuration it was not checked against; it holds only tokens that
 * verified, each until the earlier of its `exp` and {@link TOKEN_CACHE_MS}, and is emptied when a
 * JWKS fetch brings different keys. The trade (README "Security model"): a key removed from the
 * JWKS without a fetch noticing is still honoured for at most 60 s for tokens already seen.
 */
export class TokenVerifier {
  /** Signature checks actually made (a cache hit makes none). */
  signatureChecks = 0;
  private readonly now: () => number;
  private readonly maxCachedTokens: number;
  private readonly cacheMs: number;
  private readonly cache = new Map<string, CachedToken>();
  private readonly jwksByUrl = new Map<string, JwksSource>();
  private readonly secretKeys = new Map<string, Uint8Array>();

  constructor(options: TokenVerifierOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxCachedTokens = options.maxCachedTokens ?? MAX_CACHED_TOKENS;
    this.cacheMs = options.cacheMs ?? TOKEN_CACHE_MS;
  }

  /** The JWKS behind `url` (one per isolate and URL). */
  jwks(url: string): JwksSource {
    let source = this.jwksByUrl.get(url);
    if (!source) {
      source = new JwksSource(url, {
        cooldownMs: JWKS_COOLDOWN_MS,
        maxAgeMs: JWKS_MAX_AGE_MS,
        fetchTimeoutMs: JWKS_FETCH_TIMEOUT_MS,
        now: this.now,
        onKeysChanged: () => this.cache.clear(),
      });
      this.jwksByUrl.set(url, source);
    }
    return source;
  }

  get cachedTokens(): number {
    return this.cache.size;
  }

  async verify(token: string, jwt: Config['jwt']): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_BYTES) throw new TokenError('too_large');
    if (!COMPACT_JWS.test(token)) throw new TokenError('malformed');

    const cacheKey = await tokenCacheKey(token, jwt);
    const now = this.now();
    const hit = this.cache.get(cacheKey);
    if (hit) {
      if (now < hit.until) return { userId: hit.userId, expiresAt: hit.expiresAt };
      this.cache.delete(cacheKey);
    }

    const verified = await this.verifySignature(token, jwt, now);
    const expiresAtMs = (verified.expiresAt ?? 0) * 1000;
    if (this.cache.size >= this.maxCachedTokens) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, { ...verified, until: Math.min(expiresAtMs, now + this.cacheMs) });
    return verified;
  }

  private async verifySignature(token: string, jwt: Config['jwt'], now: number): Promise<VerifiedToken> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenError('malformed', 'header is not JSON');
    }
    if (KEY_SUPPLYING_HEADERS.some((name) => name in header)) throw new TokenError('key_in_header');

    const alg = typeof header.alg === 'string' ? header.alg : '';
    const options = {
      issuer: jwt.issuer,
      audience: jwt.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(now),
    };
    let payload: JWTPayload;
    try {
      this.signatureChecks++;
      if ((SECRET_ALGORITHMS as readonly string[]).includes(alg) && jwt.secret) {
        ({ payload } = await jwtVerify(token, this.secretKey(jwt.secret), { ...options, algorithms: [...SECRET_ALGORITHMS] }));
      } else if ((JWKS_ALGORITHMS as readonly string[]).includes(alg) && jwt.jwksUrl) {
        ({ payload } = await jwtVerify(token, this.jwks(jwt.jwksUrl).resolve, { ...options, algorithms: [...JWKS_ALGORITHMS] }));
      } else {
        throw new TokenError('algorithm_not_allowed', alg || 'missing');
      }
    } catch (err) {
      throw toTokenError(err);
    }

    if (!isCleanSubject(payload.sub)) throw new TokenError('subject_invalid');
    return { userId: payload.sub, expiresAt: payload.exp };
  }

  private secretKey(secret: string): Uint8Array {
    let key = this.secretKeys.get(secret);
    if (!key) {
      key = new TextEncoder().encode(secret);
      this.secretKeys.set(secret, key);
    }
    return key;
  }
}

const encoder = new TextEncoder();
/** Each key configuration's prefix, built once per parsed config (configs are cached per env). */
const configPrefixes = new WeakMap<Config['jwt'], string>();

/** The token and the configuration it is checked against, hashed: the raw token is never kept. */
async function tokenCacheKey(token: string, jwt: Config['jwt']): Promise<string> {
  let prefix = configPrefixes.get(jwt);
  if (prefix === undefined) {
    prefix = JSON.stringify([jwt.jwksUrl, jwt.secret, jwt.issuer, jwt.audience]);
    configPrefixes.set(jwt, prefix);
  }
  // The prefix is JSON and a compact JWS has no quote or bracket, so no two pairs give one input.
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(prefix + token));
  // The 32 bytes as 16 UTF-16 code units: a Map key, never shown anywhere.
  return String.fromCharCode(...new Uint16Array(digest));
}

/** The isolate's verifier: its JWKS copies and verified-token cache live as long as the isolate. */
const isolateVerifier = new TokenVerifier();

export function verifyAccessToken(token: string, jwt: Config['jwt']): Promise<VerifiedToken> {
  return isolateVerifier.verify(token, jwt);
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
