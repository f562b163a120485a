import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../worker/config';
import { rateLimitHeaders } from '../../worker/rate-limit/enforce';
import { ipKey, userKey } from '../../worker/rate-limit/client-key';
import { parseRule } from '../../worker/rate-limit/policies';
import { consumeSlidingWindow, emptyWindowCounts } from '../../worker/rate-limit/sliding-window';
import { callWorker } from './support';

describe('RATE_LIMIT_* parsing', () => {
  it('reads "<requests>/<seconds>"', () => {
    expect(parseRule('20/60')).toEqual({ limit: 20, windowMs: 60_000 });
    expect(parseRule(' 5 / 2 ')).toEqual({ limit: 5, windowMs: 2_000 });
    for (const bad of ['', '20', '20/0', '0/60', '-1/60', '1.5/60', '20/60s', 'abc', '20/86401']) expect(parseRule(bad)).toBeNull();
  });

  it('fills in the defaults README "Configuration" prints, and names the var of a malformed value', () => {
    const unset = [
      'RATE_LIMIT_SESSION',
      'RATE_LIMIT_CHAT',
      'RATE_LIMIT_API',
      'RATE_LIMIT_AUTH',
      'RATE_LIMIT_ANONYMOUS',
      'RATE_LIMIT_TIMEOUT_MS',
      'RATE_LIMIT_FAIL_MODE',
      'ORIGIN_TIMEOUT_MS',
      'MAX_BODY_BYTES',
      'OPENAI_TIMEOUT_MS',
      'FLAGS_CACHE_TTL_SECONDS',
    ];
    const base = { ...env, ...Object.fromEntries(unset.map((name, i) => [name, i % 2 ? undefined : ''])) } as Record<string, unknown>;
    const config = parseConfig(base);
    if (config instanceof ConfigError) throw config;
    // `10/60`, `20/60`, `120/60`, `30/60`, `60/60`; 1000, `open`
    expect(config.rateLimits.policies).toEqual({
      session: { limit: 10, windowMs: 60_000 },
      chat: { limit: 20, windowMs: 60_000 },
      api: { limit: 120, windowMs: 60_000 },
      auth: { limit: 30, windowMs: 60_000 },
      anonymous: { limit: 60, windowMs: 60_000 },
    });
    expect(config.rateLimits).toMatchObject({ timeoutMs: 1_000, failMode: 'open' });
    // 15000, 1048576, 10000, 5
    expect(config).toMatchObject({ originTimeoutMs: 15_000, maxBodyBytes: 1_048_576, flagsCacheTtlMs: 5_000 });
    expect(config.chatkit).toMatchObject({ openaiTimeoutMs: 10_000 });

    const broken = parseConfig({ ...base, RATE_LIMIT_CHAT: '20 per minute', RATE_LIMIT_FAIL_MODE: 'sometimes' });
    expect(broken).toBeInstanceOf(ConfigError);
    expect((broken as ConfigError).message).toContain('RATE_LIMIT_CHAT must look like "<requests>/<seconds>"');
    expect((broken as ConfigError).message).toContain('RATE_LIMIT_FAIL_MODE must be "open" or "closed"');
  });

  it('fails the first request loudly on a malformed limit, naming the var', async () => {
    const res = await callWorker('/api/flags', {}, { RATE_LIMIT_API: 'lots' });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('RATE_LIMIT_API');
  });
});

describe('rate-limit keys', () => {
  it('never contain a token, only the subject or the address', () => {
    expect(userKey('u_123')).toBe('user:u_123');
    expect(ipKey('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(ipKey(undefined)).toBe('ip:unknown');
    expect(ipKey('  ')).toBe('ip:unknown');
  });

  it('keys IPv6 by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(ipKey('2001:db8:1:2:3:4:5:6')).toBe('ip:2001:db8:1:2::/64');
    expect(ipKey('2001:DB8:1:2::ffff')).toBe('ip:2001:db8:1:2::/64');
    expect(ipKey('2001:db8::1')).toBe('ip:2001:db8:0:0::/64');
    expect(ipKey('::1')).toBe('ip:0:0:0:0::/64');
    expect(ipKey('::ffff:198.51.100.9')).toBe('ip:198.51.100.9');
    expect(ipKey('fe80::1%eth0')).toBe('ip:fe80:0:0:0::/64');
    expect(ipKey('not:an:address::zz')).toBe('ip:not:an:address::zz');
  });
});

describe('sliding window (the Durable Object’s counter)', () => {
  const windowMs = 10_000;
  const t0 = 1_700_000_000_000 - (1_700_000_000_000 % windowMs);

  it('allows `limit` per window, then refuses until the window ends', () => {
    const counts = emptyWindowCounts();
    const verdicts = Array.from({ length: 4 }, (_, i) => consumeSlidingWindow(counts, 3, windowMs, t0 + i));
    expect(verdicts.map((v) => [v.success, v.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(verdicts[3]?.reset).toBe(t0 + windowMs);
  });

  it('weighs the previous window by its overlap, and forgets windows older than that', () => {
    const counts = emptyWindowCounts();
    for (let i = 0; i < 4; i++) consumeSlidingWindow(counts, 4, windowMs, t0 + i);
    // 1 ms into the next window: floor(4 × 0.9999) = 3 still count, so exactly one more fits.
    expect(consumeSlidingWindow(counts, 4, windowMs, t0 + windowMs + 1).success).toBe(true);
    expect(consumeSlidingWindow(counts, 4, windowMs, t0 + windowMs + 2).success).toBe(false);
    // Halfway: floor(4 × 0.5) + 1 = 3 used, one left.
    expect(consumeSlidingWindow(counts, 4, windowMs, t0 + windowMs * 1.5)).toMatchObject({ success: true, remaining: 0 });
    // Two windows later nothing of it is left.
    expect(consumeSlidingWindow(counts, 4, windowMs, t0 + windowMs * 3 + 1)).toMatchObject({ success: true, remaining: 3 });
  });
});

describe('RateLimit headers', () => {
  it('report reset in whole seconds, rounded up', () => {
    expect(rateLimitHeaders({ success: true, limit: 10, remaining: 4, reset: 10_500 }, 9_000)).toEqual({
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '4',
      'RateLimit-Reset': '2',
    });
  });
});
