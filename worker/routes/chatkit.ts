import { Hono, type Context } from 'hono';
import { handleChatkitRequest, type ChatkitContext } from '../chatkit-backend/handlers';
import { OriginClient } from '../chatkit-backend/origin-client';
import { parseChatkitRequest } from '../chatkit-backend/request';
import { browserGoneController } from '../chatkit-backend/sse';
import { logEvent } from '../lib/log';
import { readJsonBody } from '../lib/json-body';
import { edgeForwardingHeaders } from '../lib/proxy';
import { assertChatkitVariant } from '../flags/chatkit-variant';
import { requireUser } from '../middleware/auth';
import { rateLimit } from '../middleware/rate-limit';
import { enforceRateLimit } from '../rate-limit/enforce';
import { tagChatkitRequest } from '../middleware/signals';
import { isStreamingRequestType } from '../../shared/chatkit';
import type { AppEnv } from '../types';

/**
 * `POST /api/chatkit`: ChatKit's self-hosted server protocol in backend mode (README "ChatKit:
 * two modes"), answered from the origin's `/api/v1`. The body's `type` picks the handler
 * (worker/chatkit-backend/handlers.ts); the user comes from the verified token only. The app-level body
 * size limit already applies (it covers `/api/*`).
 */

export interface ChatkitRouteOptions {
  /**
   * Ask the origin for `text/event-stream` (the default). False asks for its JSON reply, which is
   * replayed as the same ChatKit events; the adapter accepts a JSON reply either way, this only
   * lets tests exercise that path against the reference origin.
   */
  originStreaming?: boolean;
}

/** Request headers the origin gets on `/api/v1/*` through the proxy too (README "The contract"). */
function originRequestHeaders<E extends AppEnv>(c: Context<E>): Record<string, string> {
  const headers = edgeForwardingHeaders(c);
  const authorization = c.req.header('authorization');
  if (authorization) headers.authorization = authorization;
  const language = c.req.header('accept-language');
  if (language) headers['accept-language'] = language;
  return headers;
}

export function createChatkitRoutes(options: ChatkitRouteOptions = {}): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/api/chatkit', requireUser(), rateLimit('api', 'user'), async (c) => {
    await assertChatkitVariant(c, c.var.userId);
    const request = parseChatkitRequest(await readJsonBody(c));
    tagChatkitRequest(c, request);
    const config = c.get('config');
    const userId = c.var.userId;
    const requestId = c.get('requestId');
    const browserGone = browserGoneController(c.req.raw);
    logEvent('info', 'chatkit_request', { request_id: requestId, type: request.type, user_id: userId });

    const ctx: ChatkitContext = {
      client: new OriginClient({
        originUrl: config.originUrl,
        userId,
        requestId,
        timeoutMs: config.originTimeoutMs,
        limits: config.originLimits,
        signal: browserGone.signal,
        originRequestHeaders: originRequestHeaders(c),
      }),
      userId,
      requestId,
      browserGone,
      originStreaming: options.originStreaming ?? true,
    };
    // Every protocol request counts as an API call (above); a turn that runs the assistant (a
    // streaming type) also counts under `chat`, like `/api/v1/chat`, and so does a widget action
    // answered as JSON (`threads.sync_custom_action`): it changes tasks like a turn does.
    // Opening history alone is not a chat.
    if (isStreamingRequestType(request.type) || request.type === 'threads.sync_custom_action') await enforceRateLimit(c, 'chat', 'user');
    return handleChatkitRequest(ctx, request);
  });
}

export const chatkitRoutes = createChatkitRoutes();
