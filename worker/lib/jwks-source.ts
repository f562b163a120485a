import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { readCappedText } from './origin-read';

/** A key set is a few KB; anything near this is not one. */
const MAX_JWKS_BYTES = 256 * 1024;

/**
 * One remote JWKS per URL for the life of the isolate, fetched at most once at a time.
 *
 * jose's own remote set does not share an in-flight fetch on Workers and starts its cool-down
 * when a fetch completes, so a burst of tokens with unknown `kid`s fans out into many fetches of
 * the auth service. Here every concurrent miss waits for the same fetch, the cool-down counts
 * from the start of the last fetch, and an unknown `kid` inside the cool-down is refused without
 * a fetch. A fetch started by another request is awaited with this request's own deadline: if
 * that request's I/O is cancelled, its waiters still get an answer.
 */

type LocalSet = ReturnType<typeof createLocalJWKSet>;
type KeyOf<T> = T extends (...args: never[]) => Promise<infer K> ? K : never;

export interface JwksSourceOptions {
  /** No refetch on an unknown `kid` within this long of the last fetch's start. */
  cooldownMs: number;
  /** Keys older than this are refetched before use (the old ones serve if that fails). */
  maxAgeMs: number;
  fetchTimeoutMs: number;
  now: () => number;
  /** Called when a fetch brought a key set different from the one held (rotation). */
  onKeysChanged: () => void;
}

export class JwksSource {
  /** Fetches started (for tests and health: the promise is "at most one per cool-down"). */
  fetchCount = 0;
  private keys: LocalSet | null = null;
  private keysText = '';
  private fetchedAt = 0;
  private lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly options: JwksSourceOptions,
  ) {}

  /** A key resolver for `jwtVerify`. */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyOf<LocalSet>> => {
    const now = this.options.now();
    if (!this.keys) await this.refresh(now, false);
    else if (now - this.fetchedAt > this.options.maxAgeMs && now - this.lastFetchStartedAt >= this.options.cooldownMs) await this.refresh(now, true);
    try {
      return await this.current()(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid: perhaps a rotation. Refetch, unless one started within the cool-down.
      const later = this.options.now();
      const joinable = this.inFlight !== null && !this.flightIsDead(later);
      if (!joinable && later - this.lastFetchStartedAt < this.options.cooldownMs) throw error;
      await this.refresh(later, false);
      return this.current()(header, token);
    }
  };

  /**
   * A fetch older than its own timeout that never settled: the request that started it was
   * cancelled, and workerd drops the continuations of a cancelled request. It is replaced rather
   * than joined, or every later miss would wait on it until its deadline.
   */
  private flightIsDead(now: number): boolean {
    return this.inFlight !== null && now - this.lastFetchStartedAt > this.options.fetchTimeoutMs * 2;
  }

  private current(): LocalSet {
    if (!this.keys) throw new errors.JWKSInvalid('no key set could be fetched');
    return this.keys;
  }

  /** Joins the fetch in flight or starts one; `keepOld` swallows a failure when keys are held. */
  private async refresh(now: number, keepOld: boolean): Promise<void> {
    if (!this.inFlight || this.flightIsDead(now)) {
      this.lastFetchStartedAt = now;
      this.fetchCount++;
      const flight = this.fetchKeys().finally(() => {
        if (this.inFlight === flight) this.inFlight = null;
      });
      this.inFlight = flight;
    }
    try {
      await withDeadline(this.inFlight, this.options.fetchTimeoutMs);
    } catch (error) {
      if (!keepOld) throw error;
    }
  }

  private async fetchKeys(): Promise<void> {
    const response = await fetch(this.url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.fetchTimeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new errors.JWKSInvalid(`JWKS endpoint answered HTTP ${response.status}`);
    }
    const text = await readCappedText(response, MAX_JWKS_BYTES);
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(text) as JSONWebKeySet;
    } catch {
      throw new errors.JWKSInvalid('JWKS is not JSON');
    }
    const keys = createLocalJWKSet(jwks);
    const changed = this.keys !== null && text !== this.keysText;
    this.keys = keys;
    this.keysText = text;
    this.fetchedAt = this.options.now();
    if (changed) this.options.onKeysChanged();
  }
}

/** Waits for `promise`, but no longer than `ms` by this request's own timer. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let cancel = (): void => undefined;
  const deadline = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new errors.JWKSTimeout()), ms);
    cancel = () => clearTimeout(timer);
  });
  return Promise.race([promise, deadline]).finally(cancel);
}
