import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('GET /healthz', () => {
  it('answers ok with a version and a request id', async () => {
    const res = await exports.default.fetch('http://worker.test/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });
});
