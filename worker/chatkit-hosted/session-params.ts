import type { ChatSessionChatKitConfigurationParam, SessionCreateParams } from 'openai/resources/beta/chatkit';
import type { ChatkitSessionOptions } from '../config';

/**
 * The body of `client.beta.chatkit.sessions.create(...)`.
 *
 * `user` is always the verified token's `sub`: OpenAI scopes threads and history by this value,
 * so taking it from anything the browser sends would let one user read another's chats.
 * Options the operator left unset are omitted, so OpenAI's documented defaults apply
 * (10-minute expiry, 10 requests/minute, history on, uploads off, titling on).
 */
export function buildSessionCreateParams(userId: string, workflowId: string, options: ChatkitSessionOptions): SessionCreateParams {
  const params: SessionCreateParams = { user: userId, workflow: { id: workflowId } };
  if (options.ttlSeconds !== null) params.expires_after = { anchor: 'created_at', seconds: options.ttlSeconds };
  if (options.maxRequestsPerMinute !== null) params.rate_limits = { max_requests_per_1_minute: options.maxRequestsPerMinute };
  const chatkitConfiguration: ChatSessionChatKitConfigurationParam = {};
  if (options.historyEnabled !== null) chatkitConfiguration.history = { enabled: options.historyEnabled };
  if (options.fileUploadEnabled !== null) chatkitConfiguration.file_upload = { enabled: options.fileUploadEnabled };
  if (options.automaticTitling !== null) chatkitConfiguration.automatic_thread_titling = { enabled: options.automaticTitling };
  if (Object.keys(chatkitConfiguration).length > 0) params.chatkit_configuration = chatkitConfiguration;
  return params;
}
