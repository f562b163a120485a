import { DEFAULT_FLAGS, KV_KEY_FLAGS, KV_KEY_ROLLBACK, parseFlagsDocument, parseRollbackValue, type FlagsDocument } from '../../shared/flags';
import type { Context } from 'hono';
import { logEvent } from '../lib/log';
import type { AppEnv } from '../types';

/**
 * Reads `rollback` and `flags` from Workers KV with an isolate cache in front.
 *
 * Freshness bound (README "Operations"): a value younger than `softTtlMs` is served as is; an
 * older one is still served while one background read refreshes it; past `hardTtlMs` the
 * request waits for KV. KV's own edge cache adds up to `KV_CACHE_TTL_SECONDS`. So a rollback
 * written with wrangler reaches every isolate within hardTtl + KV_CACHE_TTL (30 + 30 = 60 s),
 * plus KV's global propagation, and in practice within softTtl + one request.
 *
 * A missing key means the safe default. A malformed value keeps the last good value (or the
 * default: legacy, rollout 0), is logged once per distinct value, and marks the source degraded.
 */

export const KV_CACHE_TTL_SECONDS = 30;
export const HARD_TTL_MS = 30_000;

interface Entry<T> {
  value: T;
  fetchedAt: number;
  /** The last value that parsed; what a later malformed value falls back to. */
  lastGood: T | null;
  problem: string | null;
  refreshing: Promise<void> | null;
}

export interface FlagSnapshot {
  rollback: boolean;
  flags: FlagsDocument;
  /** Key name → what is wrong with its KV value, for `/healthz?deep=1`. Empty when healthy. */
  problems: Record<string, string>;
}

type Parser<T> = (text: string) => { ok: true; value: T } | { ok: false; error: string };

export interface FlagsStoreOptions {
  softTtlMs: number;
  hardTtlMs?: number;
  now?: () => number;
}

export class FlagsStore {
  private readonly softTtlMs: number;
  private readonly hardTtlMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry<unknown>>();
  /** Key → the raw value already logged as bad, so a bad value is reported once, not per request. */
  private readonly loggedBadValue = new Map<string, string>();
  /** Counts KV reads; the tests and the bench use it to prove the hot path makes none. */
  kvReads = 0;

  constructor(
    private readonly kv: KVNamespace,
    options: FlagsStoreOptions,
  ) {
    this.softTtlMs = options.softTtlMs;
    this.hardTtlMs = Math.max(options.hardTtlMs ?? HARD_TTL_MS, options.softTtlMs);
    this.now = options.now ?? Date.now;
  }

  async snapshot(waitUntil: (promise: Promise<unknown>) => void): Promise<FlagSnapshot> {
    const [rollback, flags] = await Promise.all([
      this.read(KV_KEY_ROLLBACK, parseRollbackValue, false, waitUntil),
      this.read(KV_KEY_FLAGS, parseFlagsDocument, DEFAULT_FLAGS, waitUntil),
    ]);
    const problems: Record<string, string> = {};
    for (const [key, entry] of this.entries) if (entry.problem) problems[key] = entry.problem;
    return { rollback, flags, problems };
  }

  private async read<T>(key: string, parse: Parser<T>, fallback: T, waitUntil: (promise: Promise<unknown>) => void): Promise<T> {
    const entry = this.entries.get(key) as Entry<T> | undefined;
    const age = entry ? this.now() - entry.fetchedAt : Infinity;
    if (entry && age < this.softTtlMs) return entry.value;
    if (entry && age < this.hardTtlMs) {
      entry.refreshing ??= this.refresh(key, parse, fallback).finally(() => (entry.refreshing = null));
      waitUntil(entry.refreshing);
      return entry.value;
    }
    // Never await another request's refresh: its I/O belongs to that request's context.
    await this.refresh(key, parse, fallback);
    return (this.entries.get(key) as Entry<T>).value;
  }

  private async refresh<T>(key: string, parse: Parser<T>, fallback: T): Promise<void> {
    const previous = this.entries.get(key) as Entry<T> | undefined;
    const lastGood = previous?.lastGood ?? null;
    let raw: string | null;
    try {
      this.kvReads += 1;
      raw = await this.kv.get(key, { type: 'text', cacheTtl: KV_CACHE_TTL_SECONDS });
    } catch (err) {
      this.store(key, previous?.value ?? fallback, lastGood, `KV read failed: ${err instanceof Error ? err.message : String(err)}`);
      this.logOnce(key, '\u0000kv-error', 'flags_kv_read_failed', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (raw === null) {
      this.store(key, fallback, lastGood, null);
      return;
    }
    const parsed = parse(raw);
    if (parsed.ok) {
      this.store(key, parsed.value, parsed.value, null);
      this.loggedBadValue.delete(key);
      return;
    }
    this.store(key, lastGood ?? fallback, lastGood, parsed.error);
    this.logOnce(key, raw, 'flags_value_invalid', {
      error: parsed.error,
      value_bytes: raw.length,
      using: lastGood === null ? 'default' : 'last_good',
    });
  }

  private store<T>(key: string, value: T, lastGood: T | null, problem: string | null): void {
    this.entries.set(key, { value, fetchedAt: this.now(), lastGood, problem, refreshing: null });
  }

  private logOnce(key: string, raw: string, event: string, fields: Record<string, unknown>): void {
    // Long junk is compared by a prefix and length, so a 1 MB value is not kept twice.
    const fingerprint = raw.length > 256 ? `${raw.slice(0, 256)}…${raw.length}` : raw;
    if (this.loggedBadValue.get(key) === fingerprint) return;
    this.loggedBadValue.set(key, fingerprint);
    logEvent('warn', event, { key, ...fields });
  }
}

const stores = new WeakMap<KVNamespace, FlagsStore>();

/** The isolate's store for this KV binding; built on first use, then reused by every request. */
export function flagsStoreFor(kv: KVNamespace, softTtlMs: number): FlagsStore {
  let store = stores.get(kv);
  if (!store) {
    store = new FlagsStore(kv, { softTtlMs });
    stores.set(kv, store);
  }
  return store;
}

/** This request's flag snapshot from the isolate's store; any background refresh outlives the response. */
export function readFlagSnapshot<E extends AppEnv>(c: Context<E>): Promise<FlagSnapshot> {
  return flagsStoreFor(c.env.FLAGS, c.get('config').flagsCacheTtlMs).snapshot((promise) => c.executionCtx.waitUntil(promise));
}
