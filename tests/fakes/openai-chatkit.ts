/**
 * A faithful local stand-in for OpenAI's ChatKit sessions API
 * (`client.beta.chatkit.sessions.create/cancel` in the `openai` SDK).
 *
 * Point the SDK at it with `baseURL: fake.url` (or OPENAI_BASE_URL). It checks
 * what the real endpoint checks (bearer key, `OpenAI-Beta: chatkit_beta=v1`,
 * JSON body, the closed parameter schema), answers with the real `ChatSession`
 * shape and OpenAI's error envelope, and can be told to fail on purpose.
 *
 * Control endpoints (no auth, also reachable under the `/v1` prefix so code
 * that only knows the base URL can steer the fake, e.g. from inside workerd):
 *   POST /__fake/mode      {"mode": "ok"|"401"|"403"|"429"|"500"|"503"|"hang"|"reset", "times"?, "retry_after"?}
 *   GET  /__fake/mode      current mode
 *   GET  /__fake/requests  recorded API requests
 *   POST /__fake/reset     clear recordings, mode back to ok (sessions are kept)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ChatSession } from 'openai/resources/beta/chatkit';
import { closeServer, flattenHeaders, listenOnLoopback, readBody, requestTarget, sendJson } from '../helpers/http-server';
import { createChatSession, parseSessionCreateParams } from './chatkit-session-params';
import { errors, type OpenAIErrorResponse } from './openai-errors';
import { FailureSchedule, parseModeSetting, type FakeMode, type ModeSetting } from './openai-failure-modes';

export type { FakeMode, ModeSetting } from './openai-failure-modes';

export interface RecordedRequest {
  method: string;
  /** Path and query string as received, e.g. `/v1/chatkit/sessions`. */
  path: string;
  /** Header names lower-cased (as Node delivers them); repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when the body was empty or not JSON. */
  body: unknown;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FakeOpenAI {
  /** Base URL to hand to the SDK, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  apiKey: string;
  /** Snapshot of API requests received so far (control endpoints are not recorded). */
  readonly requests: readonly RecordedRequest[];
  setMode(setting: FakeMode | ModeSetting): void;
  /** Clears recordings and returns to mode "ok"; created sessions are kept so they can still be cancelled. */
  reset(): void;
  close(): Promise<void>;
}

export interface StartFakeOpenAIOptions {
  apiKey?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

const CHATKIT_BETA = 'chatkit_beta=v1';
const SESSIONS_PATH = '/v1/chatkit/sessions';
const CANCEL_PATH = /^\/v1\/chatkit\/sessions\/([^/]+)\/cancel$/;
const CONTROL_PATH = /^(?:\/v1)?\/__fake\/(mode|requests|reset)$/;

interface StoredSession {
  session: ChatSession;
  cancelled: boolean;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const newRequestId = () => `req_${randomBytes(16).toString('hex')}`;

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

export async function startFakeOpenAI({ apiKey = 'sk-test-fake', port = 0 }: StartFakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const recorded: RecordedRequest[] = [];
  const sessions = new Map<string, StoredSession>();
  const failures = new FailureSchedule();

  /** Status is derived on read so that a session outliving expires_at reports "expired" like the real one. */
  const view = ({ session, cancelled }: StoredSession): ChatSession => ({
    ...session,
    status: cancelled ? 'cancelled' : nowSeconds() >= session.expires_at ? 'expired' : 'active',
  });

  function sendApi(res: ServerResponse, started: number, status: number, body: unknown, headers: Record<string, string> = {}) {
    sendJson(res, status, body, {
      'x-request-id': newRequestId(),
      'openai-version': '2020-10-01',
      'openai-processing-ms': String(Date.now() - started),
      ...headers,
    });
  }

  const sendError = (res: ServerResponse, started: number, error: OpenAIErrorResponse) => sendApi(res, started, error.status, error.body, error.headers);

  /** Auth and beta-header checks shared by every ChatKit endpoint, in the order the real API applies them. */
  function rejectUnauthorizedOrNonBeta(headers: Record<string, string>): OpenAIErrorResponse | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
    const presentedKey = match?.[1]?.trim();
    if (!presentedKey) return errors.missingApiKey();
    if (presentedKey !== apiKey) return errors.incorrectApiKey(presentedKey);
    const betas = (headers['openai-beta'] ?? '').split(',').map((value) => value.trim());
    if (!betas.includes(CHATKIT_BETA)) return errors.missingBetaHeader();
    return undefined;
  }

  function injectedFailure(res: ServerResponse, req: IncomingMessage, started: number): boolean {
    const { mode, retryAfterSeconds } = failures.take();
    switch (mode) {
      case 'ok':
        return false;
      case 'hang':
        // Never answer; the socket stays open until the client gives up or close() tears it down.
        return true;
      case 'reset':
        // A TCP RST, like a proxy or load balancer dropping the connection mid-request.
        req.socket.resetAndDestroy();
        return true;
      case '401':
        sendError(res, started, errors.incorrectApiKey(apiKey));
        return true;
      case '403':
        sendError(res, started, errors.permissionDenied());
        return true;
      case '429':
        sendError(res, started, errors.rateLimited(retryAfterSeconds));
        return true;
      case '500':
        sendError(res, started, errors.serverError());
        return true;
      case '503':
        sendError(res, started, errors.overloaded());
        return true;
    }
  }

  function handleControl(action: string, method: string, rawBody: Buffer, res: ServerResponse): void {
    if (action === 'requests' && method === 'GET') return sendJson(res, 200, recorded);
    if (action === 'mode' && method === 'GET') return sendJson(res, 200, failures.current);
    if (action === 'reset' && method === 'POST') {
      fake.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (action === 'mode' && method === 'POST') {
      const parsed = parseJson(rawBody);
      const setting = parsed.ok ? parseModeSetting(parsed.value) : 'body must be JSON';
      if (typeof setting === 'string') return sendJson(res, 400, { error: setting });
      failures.set(setting);
      return sendJson(res, 200, failures.current);
    }
    sendJson(res, 405, { error: `${method} not supported on /__fake/${action}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const { pathname } = requestTarget(req);
    const rawBody = await readBody(req);

    const control = CONTROL_PATH.exec(pathname);
    if (control) return handleControl(control[1]!, method, rawBody, res);

    const headers = flattenHeaders(req);
    const parsed = parseJson(rawBody);
    recorded.push({ method, path, headers, body: parsed.ok ? parsed.value : null, at: started });

    if (injectedFailure(res, req, started)) return;

    const cancelMatch = CANCEL_PATH.exec(pathname);
    const isCreate = pathname === SESSIONS_PATH;
    if (method !== 'POST' || (!isCreate && !cancelMatch)) {
      return sendError(res, started, errors.invalidUrl(method, pathname));
    }
    const rejection = rejectUnauthorizedOrNonBeta(headers);
    if (rejection) return sendError(res, started, rejection);

    if (cancelMatch) {
      const sessionId = decodeURIComponent(cancelMatch[1]!);
      const stored = sessions.get(sessionId);
      if (!stored) return sendError(res, started, errors.sessionNotFound(sessionId));
      stored.cancelled = true;
      return sendApi(res, started, 200, view(stored));
    }

    if (!parsed.ok) return sendError(res, started, errors.unparsableJson());
    const params = parseSessionCreateParams(parsed.value);
    if (!params.ok) return sendError(res, started, params.error);
    const stored: StoredSession = { session: createChatSession(params.params, nowSeconds()), cancelled: false };
    sessions.set(stored.session.id, stored);
    sendApi(res, started, 200, view(stored));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake must surface as a loud 500 rather than a hung test.
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: 'fake_internal_error', param: null, code: null } });
    });
  });
  const boundPort = await listenOnLoopback(server, port);

  const fake: FakeOpenAI = {
    url: `http://127.0.0.1:${boundPort}/v1`,
    port: boundPort,
    apiKey,
    get requests() {
      return [...recorded];
    },
    setMode(setting) {
      const parsed = parseModeSetting(setting);
      if (typeof parsed === 'string') throw new TypeError(`setMode: ${parsed}`);
      failures.set(parsed);
    },
    reset() {
      recorded.length = 0;
      failures.set({ mode: 'ok' });
    },
    close: () => closeServer(server),
  };
  return fake;
}
