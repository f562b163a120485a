/**
 * A local stand-in for the Workers Analytics Engine SQL API, for the worker's
 * `AnalyticsEngineSignalQuery` (worker/signals/query.ts).
 *
 * True to the public API where the worker touches it: `POST /client/v4/accounts/<account id>/analytics_engine/sql`
 * with the SQL text as the body and `Authorization: Bearer <API token>`; a missing or wrong token gets
 * Cloudflare's API error envelope (`{"success": false, "errors": [{"code", "message"}]}`, 401), a
 * query it cannot run gets a 422 with the error as text; `FORMAT JSON` answers ClickHouse's JSON
 * format (`{"meta": [{"name", "type"}], "data": [...], "rows"}`). Sampling is modelled: each data
 * point carries `_sample_interval` (1 unless set), and sums weighted by it undo the sampling.
 *
 * It runs exactly one query shape, the one the worker sends (counters per time step); anything
 * else is refused with a 422, never silently answered. Data points are fed through the control
 * endpoint, as the runtime's `writeDataPoint` would have stored them:
 *   POST /__fake/datapoints  {"dataset", "points": [{"timestamp_ms", "blobs", "doubles", "indexes", "sample_interval"?}]}
 *   POST /__fake/reset
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody, requestTarget, sendJson } from '../helpers/http-server';

export interface StoredDataPoint {
  timestamp_ms: number;
  blobs: string[];
  doubles: number[];
  indexes: string[];
  sample_interval?: number;
}

export interface FakeAnalyticsEngine {
  /** API base, like `https://api.cloudflare.com/client/v4`. */
  url: string;
  accountId: string;
  apiToken: string;
  /** SQL texts received, newest last. */
  readonly queries: readonly string[];
  close(): Promise<void>;
}

const COUNTERS_QUERY =
  /^SELECT intDiv\(toUInt32\(timestamp\), (\d+)\) \* \1 AS t, blob1 AS variant, blob2 AS kind, blob3 AS label,\s+SUM\(_sample_interval \* double1\) AS count\s+FROM (\w+)\s+WHERE timestamp >= toDateTime\((\d+)\) AND timestamp < toDateTime\((\d+)\)\s+GROUP BY t, variant, kind, label\s+ORDER BY t\s+FORMAT JSON$/;

function apiError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { success: false, errors: [{ code, message }], messages: [], result: null });
}

export async function startFakeAnalyticsEngine(options: { accountId?: string; apiToken?: string } = {}): Promise<FakeAnalyticsEngine> {
  const accountId = options.accountId ?? '0123456789abcdef0123456789abcdef';
  const apiToken = options.apiToken ?? 'fake-analytics-read-token';
  const datasets = new Map<string, StoredDataPoint[]>();
  const queries: string[] = [];

  const runQuery = (sql: string, res: ServerResponse) => {
    const match = COUNTERS_QUERY.exec(sql.trim());
    if (!match) {
      res.writeHead(422, { 'content-type': 'text/plain' });
      res.end('The fake Analytics Engine runs only the signal counters query (tests/fakes/analytics-engine-sql.ts).');
      return;
    }
    const [, step, dataset, since, until] = match;
    const points = datasets.get(dataset!);
    if (!points) {
      res.writeHead(422, { 'content-type': 'text/plain' });
      res.end(`unknown table: ${dataset}`);
      return;
    }
    const stepSeconds = Number(step);
    const groups = new Map<string, { t: number; variant: string; kind: string; label: string; count: number }>();
    for (const point of points) {
      const seconds = Math.floor(point.timestamp_ms / 1000);
      if (seconds < Number(since) || seconds >= Number(until)) continue;
      const t = Math.floor(seconds / stepSeconds) * stepSeconds;
      const [variant = '', kind = '', label = ''] = point.blobs;
      const key = `${t}|${variant}|${kind}|${label}`;
      const group = groups.get(key) ?? { t, variant, kind, label, count: 0 };
      group.count += (point.sample_interval ?? 1) * (point.doubles[0] ?? 0);
      groups.set(key, group);
    }
    const data = [...groups.values()].sort((a, b) => a.t - b.t);
    sendJson(res, 200, {
      meta: [
        { name: 't', type: 'UInt32' },
        { name: 'variant', type: 'String' },
        { name: 'kind', type: 'String' },
        { name: 'label', type: 'String' },
        { name: 'count', type: 'Float64' },
      ],
      data,
      rows: data.length,
    });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = requestTarget(req);
      const body = (await readBody(req)).toString('utf8');
      if (url.pathname === '/__fake/datapoints' && req.method === 'POST') {
        const { dataset, points } = JSON.parse(body) as { dataset: string; points: StoredDataPoint[] };
        datasets.set(dataset, [...(datasets.get(dataset) ?? []), ...points]);
        sendJson(res, 200, { stored: points.length });
        return;
      }
      if (url.pathname === '/__fake/reset' && req.method === 'POST') {
        datasets.clear();
        queries.length = 0;
        sendJson(res, 200, { ok: true });
        return;
      }
      const route = /^\/client\/v4\/accounts\/([^/]+)\/analytics_engine\/sql$/.exec(url.pathname);
      if (!route)
        return apiError(res, 404, 7003, 'Could not route to /' + url.pathname.split('/').slice(3).join('/') + ', perhaps your object identifier is invalid?');
      if (req.method !== 'POST' && req.method !== 'GET') return apiError(res, 405, 10405, 'Method not allowed');
      if (req.headers.authorization !== `Bearer ${apiToken}`) return apiError(res, 401, 10000, 'Authentication error');
      if (route[1] !== accountId) return apiError(res, 403, 10000, 'Authentication error');
      queries.push(body);
      runQuery(body, res);
    })().catch((error: unknown) => apiError(res, 500, 10001, String(error)));
  });
  const port = await listenOnLoopback(server, 0);
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    accountId,
    apiToken,
    queries,
    close: () => closeServer(server),
  };
}
