import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { callWorker, TEST_HEALTH_TOKEN } from './support';
import { resilienceFigure } from './tally';

// 6 callers without the token + 3 limited callers
const attacksRejected = resilienceFigure('attacks_rejected', 9);

const HEALTH_TOKEN = TEST_HEALTH_TOKEN;
/** One client address per test, so per-IP budgets do not leak between tests. */
const freshIp = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
const deep = (headers: Record<string, string>, vars: Record<string, string> = {}) => callWorker('/healthz?deep=1', { headers }, { HEALTH_TOKEN, ...vars });

describe('GET /healthz', () => {
  it('answers ok with a version and a request id, and nothing more', async () => {
    const res = await exports.default.fetch('http://worker.test/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['status', 'version']);
    expect(body).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('GET /healthz?deep=1', () => {
  it('with HEALTH_TOKEN as a Bearer: every check with its details', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await deep({ authorization: `${scheme} ${HEALTH_TOKEN}`, 'cf-connecting-ip': freshIp() });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; checks: Record<string, { status: string; latency_ms?: number }> };
      expect(body.status).toBe('ok');
      expect(Object.keys(body.checks).sort()).toEqual(['kv', 'origin', 'rate_limiter']);
      expect(body.checks.origin).toMatchObject({ status: 'ok', latency_ms: expect.any(Number) });
    }
  });

  it.each([
    ['no token', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${HEALTH_TOKEN.replace(/.$/, 'X')}` }],
    ['a prefix of the token', { authorization: `Bearer ${HEALTH_TOKEN.slice(0, 10)}` }],
    ['the token plus more', { authorization: `Bearer ${HEALTH_TOKEN}x` }],
    ['the token under another scheme', { authorization: `Basic ${HEALTH_TOKEN}` }],
    ['a user access token', { authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln' }],
  ])('with %s: the overall status only, no backend, fail mode or latency', async (_what, headers) => {
    const res = await deep({ ...headers, 'cf-connecting-ip': freshIp() });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['status', 'version']);
    expect(text).not.toMatch(/latency|durable|upstash|fail|checks/i);
    await attacksRejected.record();
  });

  it('when no HEALTH_TOKEN is configured, nobody gets details', async () => {
    const res = await deep({ authorization: 'Bearer ', 'cf-connecting-ip': freshIp() }, { HEALTH_TOKEN: '' });
    expect(Object.keys((await res.json()) as object).sort()).toEqual(['status', 'version']);
  });

  it('callers without the token are limited per IP; the token holder and other addresses are not', async () => {
    const ip = freshIp();
    const vars = { RATE_LIMIT_ANONYMOUS: '2/60' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await deep({ 'cf-connecting-ip': ip }, vars)).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    const refused = await deep({ 'cf-connecting-ip': ip }, vars);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    expect((await deep({ 'cf-connecting-ip': `198.51.100.${Math.floor(Math.random() * 250) + 1}` }, vars)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await deep({ authorization: `Bearer ${HEALTH_TOKEN}`, 'cf-connecting-ip': ip }, vars)).status).toBe(200);
    await attacksRejected.record(3);
  });

  it('HEALTH_TOKEN shorter than 16 characters is a configuration error, named', async () => {
    const res = await callWorker('/healthz', {}, { HEALTH_TOKEN: 'short' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('HEALTH_TOKEN');
  });
});
