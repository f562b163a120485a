import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../worker/middleware/security-headers';
import { callWorker } from './support';

/**
 * Security headers by kind of response (README "Security headers (SPA)"): HTML gets the document
 * set (CSP, framing, referrer, permissions, COOP), everything gets nosniff, HSTS and CORP.
 */

const DOCUMENT_ONLY = ['content-security-policy', 'x-frame-options', 'referrer-policy', 'permissions-policy', 'cross-origin-opener-policy', 'x-xss-protection'];

function expectEveryResponseHeaders(res: Response): void {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
}

const app = new Hono()
  .use(securityHeaders())
  .get('/page', (c) => c.html('<!doctype html><title>x</title>'))
  .get('/data', (c) => c.json({ ok: true }))
  .get('/stream', () => new Response('data: 1\n\n', { headers: { 'content-type': 'text/event-stream' } }));

describe('security headers', () => {
  it('gives an HTML response the whole document set', async () => {
    const res = await app.request('/page');
    expectEveryResponseHeaders(res);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' https://cdn.platform.openai.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=()');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('gives JSON and SSE only what a non-document needs', async () => {
    for (const path of ['/data', '/stream']) {
      const res = await app.request(path);
      expectEveryResponseHeaders(res);
      for (const name of DOCUMENT_ONLY) expect(res.headers.get(name), `${path}: ${name}`).toBeNull();
    }
  });

  it('applies the same split through the whole app, errors included', async () => {
    const ok = await callWorker('/healthz');
    expect(ok.status).toBe(200);
    expectEveryResponseHeaders(ok);
    expect(ok.headers.get('content-security-policy')).toBeNull();

    const unauthorized = await callWorker('/api/v1/tasks');
    expect(unauthorized.status).toBe(401);
    expectEveryResponseHeaders(unauthorized);
    expect(unauthorized.headers.get('x-frame-options')).toBeNull();
  });
});
