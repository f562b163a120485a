import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { GuardRun, RolloutReport } from '../../shared/rollout';
import { pinVariants, signUpUsers, type User } from './rollout-support';
import { callWorker } from './support';

/**
 * SIGNALS_STORE = "analytics_engine": the worker writes one data point per counter, and the guard
 * and the report read them back through the SQL API (here the local fake, tests/fakes/), by the
 * same code as over the embedded store. The runtime's own storage hop (writeDataPoint → the
 * dataset) cannot run locally, so the points the worker wrote are handed to the fake as written.
 */

const OPS_TOKEN = 'ops-token-for-the-analytics-engine-tests-0123';
const DATASET = 'calm_orbit_signals_test';
const written: AnalyticsEngineDataPoint[] = [];
const overrides = () => ({
  SIGNALS_STORE: 'analytics_engine',
  SIGNALS_DATASET: { writeDataPoint: (point: AnalyticsEngineDataPoint) => void written.push(point) },
  SIGNALS_DATASET_NAME: DATASET,
  CLOUDFLARE_ACCOUNT_ID: inject('analyticsEngineAccountId'),
  CLOUDFLARE_API_TOKEN: inject('analyticsEngineToken'),
  CLOUDFLARE_API_BASE_URL: inject('analyticsEngineUrl'),
  OPS_TOKEN,
});

let chatkitUser: User;
let legacyUser: User;

beforeAll(async () => {
  [chatkitUser, legacyUser] = (await signUpUsers(2)) as [User, User];
  await pinVariants(10, { chatkit: [chatkitUser], legacy: [legacyUser] });
  await env.FLAGS.put('rollout_plan', JSON.stringify({ stages: [10, 50, 100], min_turns: 3, max_error_delta: 2, max_ttft_ratio: 50, dwell_seconds: 0 }));
  await env.FLAGS.put('rollout_guard_state', JSON.stringify({ stage_percent: 10, stage_entered_at: new Date(Date.now() - 3_600_000).toISOString() }));
});

async function turn(user: User, path: '/api/v1/chat' | '/api/chatkit'): Promise<number> {
  const body =
    path === '/api/v1/chat'
      ? { message: 'What can you do?' }
      : { type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hello' }], attachments: [], inference_options: {} } } };
  const res = await callWorker(
    path,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    },
    overrides(),
  );
  await res.text();
  return res.status;
}

describe('signals in Analytics Engine', () => {
  it('writes one data point per counter (variant, kind, label, mode), read back for the report and the guard', async () => {
    const origin = inject('originUrl');
    await fetch(`${origin}/__dev/faults`, { method: 'POST', body: JSON.stringify({ chat: { status: 502, users: [chatkitUser.userId] } }) });
    try {
      for (let i = 0; i < 4; i++) expect(await turn(chatkitUser, '/api/chatkit')).toBe(502);
    } finally {
      await fetch(`${origin}/__dev/faults`, { method: 'DELETE' });
    }
    for (let i = 0; i < 3; i++) expect(await turn(legacyUser, '/api/v1/chat')).toBe(200);

    expect(written).toContainEqual({ blobs: ['chatkit', 'outcome', 'turn:upstream_error', 'backend'], doubles: [1], indexes: ['chatkit'] });
    expect(written).toContainEqual({ blobs: ['legacy', 'outcome', 'turn:ok', 'backend'], doubles: [1], indexes: ['legacy'] });
    expect(written.filter((point) => point.blobs?.[1] === 'ttft')).toHaveLength(3);

    // What the runtime would have stored: each point with its time.
    const now = Date.now();
    const stored = await fetch(`${inject('analyticsEngineUrl').replace('/client/v4', '')}/__fake/datapoints`, {
      method: 'POST',
      body: JSON.stringify({ dataset: DATASET, points: written.map((point) => ({ ...point, timestamp_ms: now })) }),
    });
    expect(stored.status).toBe(200);

    const report = (await (
      await callWorker('/api/ops/report?since=1h', { headers: { authorization: `Bearer ${OPS_TOKEN}` } }, overrides())
    ).json()) as RolloutReport;
    expect(report.variants.chatkit).toMatchObject({ turns: 4, errors: 4 });
    expect(report.variants.legacy).toMatchObject({ turns: 3, errors: 0, ttft_p95_ms: expect.any(Number) });

    const guard = (await (
      await callWorker('/api/ops/guard?dry_run=1', { method: 'POST', headers: { authorization: `Bearer ${OPS_TOKEN}` } }, overrides())
    ).json()) as GuardRun;
    expect(guard).toMatchObject({ decision: 'rollback', acted: false, numbers: { chatkit: { turns: 4, errors: 4 }, legacy: { turns: 3 } } });
  });

  it('a SQL API that refuses the token fails the ops call loudly, never a silent "healthy"', async () => {
    const res = await callWorker(
      '/api/ops/guard?dry_run=1',
      { method: 'POST', headers: { authorization: `Bearer ${OPS_TOKEN}` } },
      { ...overrides(), CLOUDFLARE_API_TOKEN: 'wrong-token' },
    );
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('upstream_error');
    expect(body.error.message).toContain('answered 401');
    expect(body.error.message).not.toContain('wrong-token');
  });
});
