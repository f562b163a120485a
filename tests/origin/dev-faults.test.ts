import { describe, expect, it } from 'vitest';
import { createOriginApp } from '../../origin/app';

/** The reference origin's `/__dev/faults` switch (routes/dev-faults.ts), through the app itself. */
describe('/__dev/faults', () => {
  const chat = (app: ReturnType<typeof createOriginApp>['app'], userId: string) =>
    app.request('/api/v1/chat', {
      method: 'POST',
      headers: { 'x-user-id': userId, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    });

  it('fails /api/v1/chat for the listed users only, until cleared', async () => {
    const { app } = createOriginApp({ baseUrl: 'http://127.0.0.1:1', devFaults: true });
    const set = await app.request('/__dev/faults', { method: 'POST', body: JSON.stringify({ chat: { status: 502, users: ['broken-user'] } }) });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ chat: { status: 502, users: ['broken-user'] } });

    const failed = await chat(app, 'broken-user');
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('origin_status');
    expect((await chat(app, 'fine-user')).status).toBe(200);
    // Reading history is untouched: only turns fail.
    expect((await app.request('/api/v1/conversations', { headers: { 'x-user-id': 'broken-user' } })).status).toBe(200);

    expect((await app.request('/__dev/faults', { method: 'DELETE' })).status).toBe(204);
    expect((await chat(app, 'broken-user')).status).toBe(200);
    expect(await (await app.request('/__dev/faults')).json()).toEqual({});
  });

  it('without users, fails everyone; bad bodies are refused and change nothing', async () => {
    const { app } = createOriginApp({ baseUrl: 'http://127.0.0.1:1', devFaults: true });
    for (const body of ['{"chat": {"status": 200}}', '{"chat": {"status": "502"}}', '{"chat": {"status": 502, "users": "x"}}', 'nope', '{"db": {}}']) {
      expect((await app.request('/__dev/faults', { method: 'POST', body })).status, body).toBe(400);
    }
    expect((await chat(app, 'anyone')).status).toBe(200);
    await app.request('/__dev/faults', { method: 'POST', body: JSON.stringify({ chat: { status: 503 } }) });
    expect((await chat(app, 'anyone')).status).toBe(503);
  });

  it('does not exist unless asked for', async () => {
    const { app } = createOriginApp({ baseUrl: 'http://127.0.0.1:1' });
    expect((await app.request('/__dev/faults', { method: 'POST', body: '{"chat": {"status": 502}}' })).status).toBe(404);
  });
});
