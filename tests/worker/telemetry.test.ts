import { env } from 'cloudflare:workers';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../shared/errors';
import { latencyBucket } from '../../shared/signals';
import { signUpAndGetToken } from '../../origin/client';
import { countersGained, pinVariants, signUpUsers, type User } from './rollout-support';
import { callWorker } from './support';

/**
 * `POST /api/telemetry` (worker/routes/telemetry.ts): browser signals recorded with the caller's
 * resolved variant; bad input refused with the contract's errors and recorded as nothing.
 */

let chatkitUser: User;
let legacyUser: User;

beforeAll(async () => {
  [chatkitUser, legacyUser] = (await signUpUsers(2)) as [User, User];
  await pinVariants(0, { chatkit: [chatkitUser], legacy: [legacyUser] });
});

const send = (user: User | null, body: string, headers: Record<string, string> = {}) =>
  callWorker('/api/telemetry', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...headers },
    body,
  });

async function expectError(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = v.parse(ErrorBodySchema, await res.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe('POST /api/telemetry', () => {
  it('records each event with the caller’s variant (server-resolved) and answers 204', async () => {
    const diff = await countersGained(async () => {
      const res = await send(
        chatkitUser,
        JSON.stringify({
          user_id: chatkitUser.userId,
          events: [
            { type: 'chatkit_fallback', reason: 'chatkit_script_failed' },
            { type: 'chatkit_error', code: 'stream.error' },
            { type: 'ready', page: 'legacy', ms: 420 },
          ],
        }),
      );
      expect(res.status).toBe(204);
      const legacy = await send(
        legacyUser,
        JSON.stringify({ events: [{ type: 'feedback', rating: 'down' }, { type: 'legacy_stream_error' }, { type: 'ready', page: 'legacy', ms: 95 }] }),
      );
      expect(legacy.status).toBe(204);
    });
    expect(diff).toEqual({
      'chatkit browser fallback:chatkit_script_failed': 1,
      'chatkit browser chatkit_error': 1,
      'chatkit browser ready': 1,
      [`chatkit ready_ms ${latencyBucket(420)}`]: 1,
      'legacy feedback down': 1,
      'legacy browser legacy_stream_error': 1,
      'legacy browser ready': 1,
      [`legacy ready_ms ${latencyBucket(95)}`]: 1,
    });
  });

  it('refuses bad input with the contract’s errors, and records nothing', async () => {
    const valid = { events: [{ type: 'feedback', rating: 'up' }] };
    const diff = await countersGained(async () => {
      // Too large: declared, and streamed without a length.
      const big = JSON.stringify({ events: [{ type: 'chatkit_error', code: 'x'.repeat(60) }], pad: 'x'.repeat(9000) });
      await expectError(await send(chatkitUser, big), 413, 'payload_too_large');
      const stream = new Blob([big]).stream();
      const streamed = await callWorker('/api/telemetry', {
        method: 'POST',
        headers: { authorization: `Bearer ${chatkitUser.token}` },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectError(streamed, 413, 'payload_too_large');

      // Malformed: not JSON, wrong shapes, free text where only codes go, too many events.
      expect(await expectError(await send(chatkitUser, '{"events": ['), 400, 'bad_request')).toContain('not valid JSON');
      for (const body of [
        {},
        { events: [] },
        { events: [{ type: 'feedback', rating: 'meh' }] },
        { events: [{ type: 'feedback', rating: 'up', text: 'the answer said my password is hunter2' }] },
        { events: [{ type: 'chatkit_error', code: 'Error: could not reach https://example.com with token abc' }] },
        { events: [{ type: 'ready', page: 'chatkit', ms: -1 }] },
        { events: Array(51).fill({ type: 'feedback', rating: 'up' }) },
        { events: [{ type: 'keystrokes' }] },
        [valid],
      ]) {
        await expectError(await send(chatkitUser, JSON.stringify(body)), 400, 'bad_request');
      }

      // Another user's id in the body.
      await expectError(await send(chatkitUser, JSON.stringify({ ...valid, user_id: legacyUser.userId })), 403, 'forbidden');
      // Not signed in.
      await expectError(await send(null, JSON.stringify(valid)), 401, 'unauthorized');
    });
    expect(diff).toEqual({});
  });

  it('is rate limited like any API call', async () => {
    const limited = (user: User) =>
      callWorker(
        '/api/telemetry',
        { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: JSON.stringify({ events: [{ type: 'feedback', rating: 'up' }] }) },
        { RATE_LIMIT_API: '1/60' },
      );
    const fresh = await signUpAndGetToken(env.ORIGIN_URL);
    expect((await limited(fresh)).status).toBe(204);
    await expectError(await limited(fresh), 429, 'rate_limited');
  });
});
