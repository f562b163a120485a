/**
 * Upstash's REST protocol served by a real redis-server, so @upstash/redis and
 * @upstash/ratelimit run their real commands and Lua scripts in tests.
 *
 *   POST /            ["SET","k","v"]               → {"result": …} | 400 {"error": …}
 *   POST /pipeline    [["SET","k","v"],["GET","k"]] → [{"result": …} | {"error": …}, …]
 *   POST /multi-exec  same, inside MULTI/EXEC        → same; a transaction aborted at queue time → 400 {"error": "EXECABORT …"}
 *   GET|POST /set/k/v (path style, POST body appended as last argument, then query pairs)
 *
 * Auth is `Authorization: Bearer <token>` (or `?_token=`); anything else is
 * 401 {"error":"Unauthorized"}. `Upstash-Encoding: base64` is honoured (see
 * upstash-encoding.ts). Redis errors pass through verbatim (e.g. NOSCRIPT, which
 * @upstash/ratelimit relies on to fall back from EVALSHA to EVAL). When Redis is
 * unreachable the bridge answers 500 at once instead of queueing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import ioredis from 'ioredis';
import { closeServer, listenOnLoopback, readBody, requestTarget, sendJson } from '../helpers/http-server';
import { sleep } from '../helpers/wait';
import { encodeReply, type UpstashJson } from './upstash-encoding';
import { ScriptAliases, translateScriptCommand } from './upstash-scripts';

// ioredis's CommonJS entry replaces `module.exports` with the Redis class and hangs the other
// exports on it. Named imports then come out `undefined` when Vite inlines the module, as the
// worker project does for its globalSetup (@cloudflare/vitest-plugin forces
// `server.deps.inline = true`); read off the default export, they work in plain Node too.
const { Redis, ReplyError } = ioredis as unknown as typeof import('ioredis');

export interface UpstashBridge {
  /** REST URL for `new Redis({ url, token })`. */
  url: string;
  token: string;
  port: number;
  /** Delays every reply by `ms` (the command itself still runs at once), to simulate a slow Upstash. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export interface StartUpstashBridgeOptions {
  /** e.g. `redis://127.0.0.1:6379` from startRedis(). */
  redisUrl: string;
  token?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

type Command = [string, ...string[]];
type Reply = { result: UpstashJson } | { error: string };

/**
 * Commands that change the state of the (shared) connection. Upstash's REST
 * API is stateless per request; letting them through would corrupt every
 * other request multiplexed on the bridge's single Redis connection.
 */
const CONNECTION_STATE_COMMANDS = new Set([
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SELECT',
  'AUTH',
  'HELLO',
  'RESET',
  'QUIT',
  'MONITOR',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'CLIENT',
]);

class BadRequest extends Error {}

const isReplyError = (error: unknown): error is Error => error instanceof ReplyError;

function toCommand(value: unknown): Command {
  if (!Array.isArray(value) || value.length === 0) throw new BadRequest('ERR failed to parse command: expected a non-empty JSON array');
  const args = value.map((arg: unknown) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new BadRequest(`ERR failed to parse command: unsupported argument ${JSON.stringify(arg)}`);
  });
  const [name, ...rest] = args as [string, ...string[]];
  if (CONNECTION_STATE_COMMANDS.has(name.toUpperCase())) {
    throw new BadRequest(`ERR Command is not available over REST: '${name}'`);
  }
  return [name, ...rest];
}

function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new BadRequest('ERR failed to parse command: body is not valid JSON');
  }
}

/** REST_URL/COMMAND/arg1/…, with a POST body as the last argument followed by query parameters. */
function pathStyleCommand(url: URL, rawBody: Buffer): Command {
  const args: unknown[] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (rawBody.length > 0) args.push(rawBody.toString('utf8'));
  for (const [key, value] of url.searchParams) {
    if (key === '_token') continue;
    args.push(key);
    if (value !== '') args.push(value);
  }
  return toCommand(args);
}

function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1]?.trim() ?? url.searchParams.get('_token') ?? undefined;
}

export async function startUpstashBridge({ redisUrl, token = 'test-upstash-token', port = 0 }: StartUpstashBridgeOptions): Promise<UpstashBridge> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    // Fail commands immediately while Redis is down instead of queueing them
    // forever; the client then gets a prompt 500 like from a dead backend.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Keep reconnecting quickly so a restarted redis-server is picked up again.
    retryStrategy: () => 100,
  });
  // Connection failures are reported per request as 500s; without a listener
  // ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect(); // otherwise retryStrategy keeps reconnecting in the background
    throw new Error(`startUpstashBridge: cannot reach Redis at ${redisUrl}`, { cause: error });
  }

  const scripts = new ScriptAliases();
  let delayMs = 0;

  /** Runs a batch through an ioredis pipeline or MULTI; ReplyErrors become per-command errors, anything else propagates. */
  async function runBatch(commands: Command[], atomic: boolean, base64: boolean): Promise<Reply[]> {
    const batch = atomic ? redis.multi() : redis.pipeline();
    const overrides = commands.map((command) => {
      const translated = translateScriptCommand(scripts, command);
      batch.callBuffer(...translated.command);
      return translated.replyOverride;
    });
    const results = (await batch.exec()) ?? [];
    return results.map(([error, reply], index): Reply => {
      if (error) {
        if (!isReplyError(error)) throw error;
        return { error: error.message };
      }
      return { result: encodeReply(overrides[index] ?? reply, base64) };
    });
  }

  async function runOne(command: Command, base64: boolean): Promise<Reply> {
    const { command: translated, replyOverride } = translateScriptCommand(scripts, command);
    try {
      const reply: unknown = await redis.callBuffer(...translated);
      return { result: encodeReply(replyOverride ?? reply, base64) };
    } catch (error) {
      if (!isReplyError(error)) throw error;
      return { error: error.message };
    }
  }

  async function respond(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
    const rawBody = await readBody(req);
    const base64 = (req.headers['upstash-encoding'] ?? '').toString().toLowerCase() === 'base64';
    const isPost = req.method === 'POST' || req.method === 'PUT';

    if (url.pathname === '/pipeline' || url.pathname === '/multi-exec') {
      if (!isPost) throw new BadRequest(`ERR ${url.pathname} requires POST`);
      const body = parseJsonBody(rawBody);
      if (!Array.isArray(body) || body.length === 0) {
        throw new BadRequest('ERR failed to parse commands: expected a non-empty JSON array of commands');
      }
      const commands = body.map(toCommand);
      try {
        return { status: 200, body: await runBatch(commands, url.pathname === '/multi-exec', base64) };
      } catch (error) {
        // EXECABORT: a command failed to queue, so the whole transaction was discarded.
        if (isReplyError(error)) return { status: 400, body: { error: error.message } };
        throw error;
      }
    }

    const command = url.pathname === '/' ? toCommand(parseJsonBody(rawBody)) : pathStyleCommand(url, rawBody);
    const reply = await runOne(command, base64);
    return { status: 'error' in reply ? 400 : 200, body: reply };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestTarget(req);
    let status: number;
    let body: unknown;
    if (!['GET', 'HEAD', 'POST', 'PUT'].includes(req.method ?? '')) {
      [status, body] = [405, { error: 'Method Not Allowed' }];
    } else if (presentedToken(req, url) !== token) {
      [status, body] = [401, { error: 'Unauthorized' }];
    } else {
      try {
        ({ status, body } = await respond(req, url));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // BadRequest is the caller's fault; anything else means Redis is unreachable.
        [status, body] = [error instanceof BadRequest ? 400 : 500, { error: message }];
      }
    }
    if (delayMs > 0) await sleep(delayMs);
    sendJson(res, status, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `bridge failure: ${String(error)}` });
    });
  });
  let boundPort: number;
  try {
    boundPort = await listenOnLoopback(server, port);
  } catch (error) {
    redis.disconnect();
    throw error;
  }

  return {
    url: `http://127.0.0.1:${boundPort}`,
    token,
    port: boundPort,
    setDelay(ms) {
      if (!(ms >= 0)) throw new RangeError('setDelay: ms must be >= 0');
      delayMs = ms;
    },
    async close() {
      await closeServer(server);
      redis.disconnect();
    },
  };
}
