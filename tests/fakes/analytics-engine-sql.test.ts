import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnalyticsEngine, type FakeAnalyticsEngine } from './analytics-engine-sql';

/** The Analytics Engine SQL API fake (analytics-engine-sql.ts): its own contract. */
let fake: FakeAnalyticsEngine;
beforeAll(async () => {
  fake = await startFakeAnalyticsEngine();
});
afterAll(() => fake.close());

const T = 1_790_000_040; // seconds, a whole minute
const counters = (dataset: string, since: number, until: number, step = 60) =>
  [
    `SELECT intDiv(toUInt32(timestamp), ${step}) * ${step} AS t, blob1 AS variant, blob2 AS kind, blob3 AS label,`,
    `SUM(_sample_interval * double1) AS count`,
    `FROM ${dataset}`,
    `WHERE timestamp >= toDateTime(${since}) AND timestamp < toDateTime(${until})`,
    `GROUP BY t, variant, kind, label`,
    `ORDER BY t`,
    `FORMAT JSON`,
  ].join('\n');

const sql = (text: string, token = fake.apiToken, account = fake.accountId) =>
  fetch(`${fake.url}/accounts/${account}/analytics_engine/sql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: text });

describe('fake Analytics Engine SQL API', () => {
  it('sums data points per step, variant, kind and label, undoing sampling, in ClickHouse JSON', async () => {
    await fetch(`${fake.url.replace('/client/v4', '')}/__fake/datapoints`, {
      method: 'POST',
      body: JSON.stringify({
        dataset: 'signals_a',
        points: [
          { timestamp_ms: T * 1000 + 5_000, blobs: ['chatkit', 'outcome', 'turn:ok', 'backend'], doubles: [1], indexes: ['chatkit'] },
          { timestamp_ms: T * 1000 + 50_000, blobs: ['chatkit', 'outcome', 'turn:ok', 'backend'], doubles: [1], indexes: ['chatkit'], sample_interval: 10 },
          { timestamp_ms: T * 1000 + 65_000, blobs: ['legacy', 'outcome', 'turn:ok', 'backend'], doubles: [1], indexes: ['legacy'] },
          { timestamp_ms: (T - 3600) * 1000, blobs: ['legacy', 'outcome', 'turn:ok', 'backend'], doubles: [1], indexes: ['legacy'] },
        ],
      }),
    });
    const res = await sql(counters('signals_a', T, T + 120));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { meta: Array<{ name: string }>; data: unknown[]; rows: number };
    expect(body.meta.map((column) => column.name)).toEqual(['t', 'variant', 'kind', 'label', 'count']);
    expect(body.data).toEqual([
      { t: T, variant: 'chatkit', kind: 'outcome', label: 'turn:ok', count: 11 },
      { t: T + 60, variant: 'legacy', kind: 'outcome', label: 'turn:ok', count: 1 },
    ]);
    expect(body.rows).toBe(2);
    const wide = (await (await sql(counters('signals_a', T, T + 120, 3600))).json()) as { data: Array<{ count: number }> };
    expect(wide.data.map((row) => row.count)).toEqual([11, 1]);
  });

  it('refuses a missing or wrong token and another account with the API error envelope', async () => {
    for (const res of [await sql(counters('signals_a', T, T + 60), 'wrong'), await sql(counters('signals_a', T, T + 60), '')]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] });
    }
    expect((await sql(counters('signals_a', T, T + 60), fake.apiToken, 'f'.repeat(32))).status).toBe(403);
  });

  it('answers 422 with a text error for an unknown table or a query it does not run', async () => {
    const unknown = await sql(counters('no_such_dataset', T, T + 60));
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain('unknown table');
    const other = await sql('SELECT count() FROM signals_a FORMAT JSON');
    expect(other.status).toBe(422);
  });
});
