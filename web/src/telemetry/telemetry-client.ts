import { useEffect } from 'react';
import { TELEMETRY_MAX_BYTES, TELEMETRY_MAX_EVENTS, type TelemetryEvent } from '../../../shared/telemetry';
import { useAuthFetch } from '../auth/auth-context';
import type { AuthFetch } from '../auth/auth-fetch';

/**
 * Browser signals for the guarded rollout (`POST /api/telemetry`, shared/telemetry.ts): batched,
 * sent every {@link FLUSH_AFTER_MS} or {@link FLUSH_AT_EVENTS} events, and when the page is hidden
 * or left (`pagehide`). Events carry codes and numbers only, never message text, never a token.
 *
 * Why `fetch(…, {keepalive: true})` and not `navigator.sendBeacon`: a beacon cannot carry the
 * `Authorization` header, and the only other places for the token (the body, the URL) end up in
 * logs and caches. A keepalive fetch survives the page going away just like a beacon (same
 * 64 KiB budget, far above our 8 KiB batches) and goes through `authFetch`, Bearer and all.
 */

export const FLUSH_AFTER_MS = 10_000;
export const FLUSH_AT_EVENTS = 20;
/** A page that cannot send (offline) keeps at most this many events. */
const MAX_QUEUED = 200;

export class TelemetryClient {
  #queue: TelemetryEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly send: AuthFetch) {}

  record(event: TelemetryEvent): void {
    if (this.#queue.length >= MAX_QUEUED) return;
    this.#queue.push(event);
    if (this.#queue.length >= FLUSH_AT_EVENTS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  /** Sends everything queued, in batches within the worker's limits; failures are dropped. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const events = this.#queue.splice(0);
    for (const body of batches(events)) {
      this.send('/api/telemetry', { method: 'POST', keepalive: true, headers: { 'content-type': 'application/json' }, body }).then(
        (res) => void res.body?.cancel(),
        () => undefined,
      );
    }
  }
}

/** JSON bodies of at most TELEMETRY_MAX_EVENTS events and TELEMETRY_MAX_BYTES bytes each. */
export function batches(events: readonly TelemetryEvent[]): string[] {
  const bodies: string[] = [];
  let current: TelemetryEvent[] = [];
  const encode = (list: TelemetryEvent[]) => JSON.stringify({ events: list });
  for (const event of events) {
    const next = [...current, event];
    if (current.length > 0 && (next.length > TELEMETRY_MAX_EVENTS || new TextEncoder().encode(encode(next)).length > TELEMETRY_MAX_BYTES)) {
      bodies.push(encode(current));
      current = [event];
    } else {
      current = next;
    }
  }
  if (current.length > 0) bodies.push(encode(current));
  return bodies;
}

let active: TelemetryClient | null = null;
/** Events recorded before the client started (children's effects run before the app's own). */
let early: TelemetryEvent[] = [];
let readyReported = false;

/** Records one event for the signed-in user (held briefly until the client starts). */
export function recordTelemetry(event: TelemetryEvent): void {
  if (active) active.record(event);
  else if (early.length < FLUSH_AT_EVENTS) early.push(event);
}

/** The chat's input is usable: time since navigation started, once per page load. */
export function reportChatReady(page: 'chatkit' | 'legacy'): void {
  if (readyReported) return;
  readyReported = true;
  recordTelemetry({ type: 'ready', page, ms: Math.round(performance.now()) });
}

/** Sends telemetry for the signed-in user while mounted; flushes when the page is hidden or left. */
export function useTelemetry(): void {
  const authFetch = useAuthFetch();
  useEffect(() => {
    const client = new TelemetryClient(authFetch);
    active = client;
    for (const event of early.splice(0)) client.record(event);
    const flushIfHidden = () => {
      if (document.visibilityState === 'hidden') client.flush();
    };
    const flush = () => client.flush();
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', flushIfHidden);
    return () => {
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', flushIfHidden);
      client.flush();
      if (active === client) active = null;
    };
  }, [authFetch]);
}
