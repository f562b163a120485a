import { describe, expect, it, vi } from 'vitest';
import { TELEMETRY_MAX_BYTES, TELEMETRY_MAX_EVENTS, TelemetryBatchSchema, type TelemetryEvent } from '../../shared/telemetry';
import * as v from 'valibot';
import { createAuthFetch } from '../../web/src/auth/auth-fetch';
import { batches, FLUSH_AT_EVENTS, FLUSH_AFTER_MS, TelemetryClient } from '../../web/src/telemetry/telemetry-client';

/** The SPA's telemetry client (web/src/telemetry/telemetry-client.ts). */

function recordingFetch() {
  const calls: Array<{ url: string; init: RequestInit; headers: Headers }> = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {}, headers: new Headers(init?.headers) });
    return new Response(null, { status: 204 });
  });
  const authFetch = createAuthFetch({ getToken: async () => 'token-abc', refreshToken: async () => 'token-abc', onUnauthorized: () => undefined, fetch });
  return { calls, authFetch };
}

describe('telemetry client', () => {
  it('batches events and sends them with keepalive and the Bearer token once the batch is due', async () => {
    vi.useFakeTimers();
    const { calls, authFetch } = recordingFetch();
    const client = new TelemetryClient(authFetch);
    client.record({ type: 'ready', page: 'legacy', ms: 120 });
    client.record({ type: 'feedback', rating: 'up' });
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(FLUSH_AFTER_MS);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe('/api/telemetry');
    expect(call!.init).toMatchObject({ method: 'POST', keepalive: true });
    expect(call!.headers.get('authorization')).toBe('Bearer token-abc');
    const body = v.parse(TelemetryBatchSchema, JSON.parse(String(call!.init.body)));
    expect(body.events).toEqual([
      { type: 'ready', page: 'legacy', ms: 120 },
      { type: 'feedback', rating: 'up' },
    ]);
    expect(String(call!.init.body)).not.toContain('token-abc');
  });

  it('flushes at once when enough events are queued, and on demand (pagehide)', async () => {
    const { calls, authFetch } = recordingFetch();
    const client = new TelemetryClient(authFetch);
    for (let i = 0; i < FLUSH_AT_EVENTS; i++) client.record({ type: 'chatkit_error' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    client.record({ type: 'legacy_stream_error' });
    client.flush();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    client.flush();
    expect(calls).toHaveLength(2);
  });

  it('splits large queues into batches the worker accepts', () => {
    const many: TelemetryEvent[] = Array.from({ length: 130 }, () => ({ type: 'chatkit_fallback', reason: 'chatkit_script_failed' }));
    const bodies = batches(many);
    expect(bodies.length).toBeGreaterThanOrEqual(3);
    for (const body of bodies) {
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(TELEMETRY_MAX_BYTES);
      expect(v.parse(TelemetryBatchSchema, JSON.parse(body)).events.length).toBeLessThanOrEqual(TELEMETRY_MAX_EVENTS);
    }
    expect(bodies.reduce((sum, body) => sum + (JSON.parse(body) as { events: unknown[] }).events.length, 0)).toBe(130);
  });
});
