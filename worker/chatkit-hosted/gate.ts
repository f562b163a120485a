import type { ChatkitSessionOptions, Config } from '../config';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';

/** Everything the session endpoints need, present only when hosted mode is fully configured. */
export interface HostedChatkit {
  apiKey: string;
  workflowId: string;
  baseUrl: string | null;
  timeoutMs: number;
  session: ChatkitSessionOptions;
}

/**
 * 503 `chatkit_not_configured` unless this deployment runs hosted ChatKit with its credentials.
 *
 * Backend mode (the default) answers ChatKit's protocol itself at `POST /api/chatkit` with the
 * user's Bearer token: there is no OpenAI session and no client secret to hand out. The route
 * still exists in that mode so a misconfigured SPA gets a clear, stable code, not a 404.
 */
export function hostedChatkitOrThrow(config: Config, requestId: string | undefined): HostedChatkit {
  const { mode, openaiApiKey, workflowId, openaiBaseUrl, openaiTimeoutMs, session } = config.chatkit;
  if (mode !== 'hosted') {
    throw new ApiError('chatkit_not_configured', 'ChatKit runs in backend mode here: it talks to /api/chatkit with your access token and needs no session.');
  }
  if (!openaiApiKey || !workflowId) {
    logEvent('error', 'chatkit_not_configured', {
      request_id: requestId,
      missing: [!openaiApiKey && 'OPENAI_API_KEY', !workflowId && 'CHATKIT_WORKFLOW_ID'].filter(Boolean),
    });
    throw new ApiError('chatkit_not_configured', 'ChatKit is not configured on this deployment.');
  }
  return { apiKey: openaiApiKey, workflowId, baseUrl: openaiBaseUrl, timeoutMs: openaiTimeoutMs, session };
}
