/**
 * A real redis-server behind the Upstash REST bridge, plus a small HTTP control API so tests
 * running inside workerd (which cannot spawn or signal processes) can break it on purpose:
 *
 *   POST /__bridge/redis/stop   SIGKILLs redis-server (a crash, not a shutdown); resolves once it is gone
 *   POST /__bridge/redis/start  starts it again on the same port; answers once the bridge has reconnected
 *   POST /__bridge/delay {"ms"} delays every bridge reply by ms (0 = off), a slow Upstash
 *   GET  /__bridge/status       {"redis": "up"|"down", "delay_ms": n}
 *
 * Every answer is `{"redis", "delay_ms"}` after the change, so a test can assert it took effect.
 * The control API listens on its own loopback port, separate from the REST URL the worker uses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody, requestTarget, sendJson } from '../helpers/http-server';
import { waitFor } from '../helpers/wait';
import { startRedis, type RedisInstance } from './redis';
import { startUpstashBridge, type UpstashBridge } from './upstash-rest';

export interface UpstashStack {
  /** `UPSTASH_REDIS_REST_URL` for the worker. */
  url: string;
  /** `UPSTASH_REDIS_REST_TOKEN` for the worker. */
  token: string;
  /** Base URL of the control API above. */
  controlUrl: string;
  close(): Promise<void>;
}

export async function startUpstashStack(): Promise<UpstashStack> {
  let redis: RedisInstance | null = await startRedis();
  const port = redis.port;
  let bridge: UpstashBridge;
  try {
    bridge = await startUpstashBridge({ redisUrl: redis.url });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  let delayMs = 0;
  /** Serialises stop/start so two racing calls cannot leave two servers or none. */
  let transition: Promise<unknown> = Promise.resolve();

  const status = () => ({ redis: redis ? 'up' : 'down', delay_ms: delayMs });

  async function stopRedis(): Promise<void> {
    if (!redis) return;
    const dying = redis;
    redis = null;
    dying.kill();
    await dying.exited;
  }

  /** Resolves once a command goes through the bridge again, not merely once Redis listens. */
  async function startRedisAgain(): Promise<void> {
    if (redis) return;
    redis = await startRedis({ port });
    await waitFor(
      async () => {
        const res = await fetch(bridge.url, { method: 'POST', headers: { authorization: `Bearer ${bridge.token}` }, body: '["PING"]' });
        await res.arrayBuffer();
        return res.ok;
      },
      { timeoutMs: 5_000, intervalMs: 25, description: 'the Upstash bridge reconnecting to the restarted redis-server' },
    );
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestTarget(req);
    const body = await readBody(req);
    const action = `${req.method} ${url.pathname}`;
    if (action === 'GET /__bridge/status') return sendJson(res, 200, status());
    if (action === 'POST /__bridge/redis/stop' || action === 'POST /__bridge/redis/start') {
      const change = action.endsWith('stop') ? stopRedis : startRedisAgain;
      transition = transition.then(change, change);
      await transition;
      return sendJson(res, 200, status());
    }
    if (action === 'POST /__bridge/delay') {
      const ms = Number((JSON.parse(body.toString('utf8') || '{}') as { ms?: unknown }).ms);
      if (!Number.isFinite(ms) || ms < 0) return sendJson(res, 400, { error: 'body must be {"ms": <non-negative number>}' });
      bridge.setDelay(ms);
      delayMs = ms;
      return sendJson(res, 200, status());
    }
    sendJson(res, 404, { error: `no control route ${action}` });
  }

  const control = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
    });
  });
  const controlPort = await listenOnLoopback(control, 0);

  return {
    url: bridge.url,
    token: bridge.token,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    async close() {
      await closeServer(control);
      await bridge.close();
      await redis?.stop();
    },
  };
}
