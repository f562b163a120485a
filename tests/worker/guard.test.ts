import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditLogSchema, KV_KEY_AUDIT, KV_KEY_GUARD_STATE, KV_KEY_PLAN, type RolloutPlan, type RolloutReport } from '../../shared/rollout';
import worker from '../../worker/index';
import type { GuardRun } from '../../worker/guard/run-guard';
import * as v from 'valibot';
import { pinVariants, signUpUsers, type User } from './rollout-support';
import { loggedEvents } from './log-lines';
import { callWorker } from './support';

/**
 * The rollout guard inside workerd: real turns against the reference origin (failed for the ChatKit
 * user with /__dev/faults), the ops routes behind OPS_TOKEN, the Cron Trigger's `scheduled` handler,
 * and what it writes to KV (rollback, rollout percentage, guard state, audit trail).
 */

const OPS_TOKEN = 'ops-token-for-the-workerd-tests-0123456789';
const withOps = { OPS_TOKEN };

let chatkitUser: User;
let legacyUser: User;

beforeAll(async () => {
  [chatkitUser, legacyUser] = (await signUpUsers(2)) as [User, User];
  await pinVariants(10, { chatkit: [chatkitUser], legacy: [legacyUser] });
});

const plan = (overrides: Partial<RolloutPlan> = {}): RolloutPlan => ({
  stages: [10, 50, 100],
  min_turns: 3,
  max_error_delta: 2,
  max_ttft_ratio: 50,
  max_fallback_rate: 5,
  dwell_seconds: 0,
  auto_advance: true,
  ...overrides,
});

/** The current stage began an hour ago, so every turn of this file is inside the guard's window. */
async function stageStartedAnHourAgo(percent: number): Promise<void> {
  await env.FLAGS.put(KV_KEY_GUARD_STATE, JSON.stringify({ stage_percent: percent, stage_entered_at: new Date(Date.now() - 3_600_000).toISOString() }));
}

async function turns(user: User, count: number, message = 'What can you do?'): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await callWorker('/api/v1/chat', {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message }),
    });
    await res.text();
    statuses.push(res.status);
  }
  return statuses;
}

async function chatkitTurns(user: User, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await callWorker('/api/chatkit', {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'threads.create',
        params: { input: { content: [{ type: 'input_text', text: 'hello' }], attachments: [], inference_options: {} } },
      }),
    });
    await res.text();
    statuses.push(res.status);
  }
  return statuses;
}

const ops = (path: string, init: RequestInit = {}, token: string | null = OPS_TOKEN, overrides: Record<string, string> = withOps) =>
  callWorker(path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } }, overrides);

async function audit() {
  return v.parse(AuditLogSchema, JSON.parse((await env.FLAGS.get(KV_KEY_AUDIT)) ?? '[]'));
}

describe('ops routes', () => {
  it('do not exist without OPS_TOKEN, and refuse a missing or wrong token', async () => {
    expect((await ops('/api/ops/guard', { method: 'POST' }, OPS_TOKEN, {})).status).toBe(404);
    expect((await ops('/api/ops/report', {}, null)).status).toBe(401);
    const wrong = await ops('/api/ops/guard', { method: 'POST' }, `${OPS_TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await ops('/api/ops/report?since=soon')).status).toBe(400);
  });

  it('with no plan the guard holds and writes nothing but its state', async () => {
    const res = await ops('/api/ops/guard', { method: 'POST' });
    expect(res.status).toBe(200);
    const run = (await res.json()) as GuardRun;
    expect(run).toMatchObject({ decision: 'hold', acted: false });
    expect(run.reason).toMatch(/no rollout plan/);
    expect(await env.FLAGS.get('rollback')).toBeNull();
  });
});

describe('the guard on real traffic', () => {
  it('healthy for the dwell time with auto-advance: the Cron Trigger moves 10 → 50 %', async () => {
    await env.FLAGS.put(KV_KEY_PLAN, JSON.stringify(plan()));
    await stageStartedAnHourAgo(10);
    expect(await chatkitTurns(chatkitUser, 3)).toEqual([200, 200, 200]);
    expect(await turns(legacyUser, 3)).toEqual([200, 200, 200]);

    const warn = vi.spyOn(console, 'warn');
    try {
      const ctx = createExecutionContext();
      worker.scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx);
      await waitOnExecutionContext(ctx);
      const advanced = loggedEvents(warn, 'rollout_advanced')[0];
      expect(advanced).toMatchObject({ from: 10, to: 50 });
      expect(advanced!.chatkit).toMatchObject({ turns: 3, errors: 0 });
    } finally {
      warn.mockRestore();
    }
    expect(JSON.parse((await env.FLAGS.get('flags'))!).chatkit).toMatchObject({ rollout_percent: 50, allow_users: [chatkitUser.userId] });
    const entry = (await audit()).at(-1)!;
    expect(entry).toMatchObject({ actor: 'guard', action: 'rollout 50', before: { rollout_percent: 10 }, after: { rollout_percent: 50 } });
    expect(JSON.parse((await env.FLAGS.get(KV_KEY_GUARD_STATE))!)).toMatchObject({ stage_percent: 50, last_decision: 'advance' });
  });

  it('ChatKit failing its users: a dry run decides without acting, then one run rolls back', async () => {
    await env.FLAGS.put(KV_KEY_PLAN, JSON.stringify(plan({ auto_advance: false })));
    await stageStartedAnHourAgo(50);
    const fault = await fetch(`${env.ORIGIN_URL}/__dev/faults`, {
      method: 'POST',
      body: JSON.stringify({ chat: { status: 502, users: [chatkitUser.userId] } }),
    });
    expect(fault.status).toBe(200);
    try {
      expect(await chatkitTurns(chatkitUser, 8)).toEqual(Array(8).fill(502));
      expect(await turns(legacyUser, 2)).toEqual([200, 200]);
    } finally {
      await fetch(`${env.ORIGIN_URL}/__dev/faults`, { method: 'DELETE' });
    }

    const dry = (await (await ops('/api/ops/guard?dry_run=1', { method: 'POST' })).json()) as GuardRun;
    expect(dry).toMatchObject({ decision: 'rollback', dry_run: true, acted: false });
    expect(await env.FLAGS.get('rollback')).toBeNull();

    const error = vi.spyOn(console, 'error');
    let run: GuardRun;
    try {
      run = (await (await ops('/api/ops/guard', { method: 'POST' })).json()) as GuardRun;
      expect(loggedEvents(error, 'rollout_guard_tripped')[0]).toMatchObject({ rollout_percent: 50, chatkit: { turns: 11, errors: 8 } });
    } finally {
      error.mockRestore();
    }
    expect(run).toMatchObject({ decision: 'rollback', acted: true, numbers: { chatkit: { turns: 11, errors: 8 }, legacy: { turns: 5, errors: 0 } } });
    expect(run.reason).toMatch(/exceeds legacy's 0 %/);
    expect(await env.FLAGS.get('rollback')).toBe('true');
    expect((await audit()).at(-1)).toMatchObject({
      actor: 'guard',
      action: 'rollback on',
      before: { rollback: false },
      after: { rollback: true },
      numbers: { chatkit: { errors: 8 } },
    });

    // The guard never clears a rollback itself.
    const again = (await (await ops('/api/ops/guard', { method: 'POST' })).json()) as GuardRun;
    expect(again).toMatchObject({ decision: 'hold', acted: false });
    expect(again.reason).toMatch(/never clears/);
    expect(await env.FLAGS.get('rollback')).toBe('true');
  });

  it('the report: both variants, a series and the verdict, from the same counters', async () => {
    const res = await ops('/api/ops/report?since=2h');
    expect(res.status).toBe(200);
    const report = (await res.json()) as RolloutReport;
    expect(report.variants.chatkit).toMatchObject({ turns: 11, errors: 8 });
    expect(report.variants.legacy).toMatchObject({ turns: 5, errors: 0, ttft_p50_ms: expect.any(Number) });
    expect(report.guard.decision).toBe('hold');
    expect(report.series.length).toBeGreaterThan(1);
    expect(report.series.reduce((sum, point) => sum + point.chatkit.turns, 0)).toBe(11);
  });
});
