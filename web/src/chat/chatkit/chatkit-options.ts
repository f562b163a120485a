import type { ChatKitOptions, CustomApiConfig, HostedApiConfig, ThemeOption } from '@openai/chatkit-react';
import { readApiError, readJson } from '../../api/api-error';
import type { AuthFetch } from '../../auth/auth-fetch';
import type { ChatHandoff, ChatkitConfig, ChatkitUnavailable } from '../../flags/chat-decision';
import { parseThreadId, threadIdFor } from '../../../../shared/chatkit';
import { conversationIdFromPath } from '../chat-route';
import { BRAND_COLORS, FONT_STACK } from '../../theme';
import { SessionResponseSchema } from '../../../../shared/session';
import { COMPOSER_PLACEHOLDER, EXAMPLE_PROMPTS, WELCOME_TEXT } from '../chat-copy';

/** The client effect the worker's ChatKit adapter sends after a task tool ran. */
export const TASKS_CHANGED_EFFECT = 'tasks.changed';
const CHATKIT_SESSION_URL = '/api/chatkit/session';

export const CHATKIT_THEME: ThemeOption = {
  colorScheme: 'light',
  radius: 'soft',
  density: 'normal',
  typography: { fontFamily: FONT_STACK, baseSize: 15 },
  color: {
    accent: { primary: BRAND_COLORS.primary, level: 1 },
    surface: { background: BRAND_COLORS.surface, foreground: BRAND_COLORS.text },
  },
};

export interface ChatKitApiDeps {
  authFetch: AuthFetch;
  /** The server says ChatKit is off or not set up: show the legacy chat instead, in place. */
  onUnavailable: ChatkitUnavailable;
  /** `threads.get_by_id` answered 404: the thread is missing or someone else's. */
  onThreadNotFound?: (threadId: string) => void;
}

/** The parts of a ChatKit request body the page needs to hand a conversation over. */
function readChatkitRequest(body: BodyInit | null | undefined): { type: string; threadId: string | null; text: string | null } | null {
  if (typeof body !== 'string') return null;
  try {
    const request = JSON.parse(body) as { type?: unknown; params?: { thread_id?: unknown; input?: { content?: unknown } } };
    const content = Array.isArray(request.params?.input?.content) ? (request.params.input.content as Array<{ type?: unknown; text?: unknown }>) : null;
    const text = content
      ?.filter((part) => part.type === 'input_text' && typeof part.text === 'string')
      .map((part) => part.text as string)
      .join('');
    return {
      type: typeof request.type === 'string' ? request.type : '',
      threadId: typeof request.params?.thread_id === 'string' ? request.params.thread_id : null,
      text: text?.trim() ? text : null,
    };
  } catch {
    return null;
  }
}

/**
 * Backend mode's `fetch`: the user's token (authFetch), and an eye on the answers. When the worker
 * refuses ChatKit (`chatkit_disabled` after a rollback, `chatkit_not_configured`), whatever the
 * request, the page hands over to the legacy chat at once: same conversation (the request's
 * thread, else the URL's), and the message being sent, which the worker did not store.
 */
export function watchChatkitCalls(deps: ChatKitApiDeps): AuthFetch {
  return async (input, init) => {
    const response = await deps.authFetch(input, init);
    if (response.ok) return response;
    const request = readChatkitRequest(init?.body);
    if (response.status === 403 || response.status === 503) {
      const { code } = await readApiError(response.clone());
      if (code === 'chatkit_disabled' || code === 'chatkit_not_configured') {
        const fromRequest = request?.threadId ? parseThreadId(request.threadId) : null;
        const handoff: ChatHandoff = {
          conversationId: request?.type === 'threads.create' ? null : (fromRequest ?? conversationIdFromPath(window.location.pathname)),
          pendingMessage: request?.type === 'threads.create' || request?.type === 'threads.add_user_message' ? request.text : null,
        };
        deps.onUnavailable(code, handoff);
      }
    }
    if (response.status === 404 && request?.type === 'threads.get_by_id' && request.threadId) deps.onThreadNotFound?.(request.threadId);
    return response;
  };
}

/**
 * Hosted mode: a client secret from the worker (`POST /api/chatkit/session`), on mount
 * (`current` is null) and again before the previous secret expires.
 */
export async function requestClientSecret(current: string | null, deps: ChatKitApiDeps): Promise<string> {
  const response = await deps.authFetch(CHATKIT_SESSION_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ current_client_secret: current }),
  });
  if (!response.ok) {
    const error = await readApiError(response);
    if (error.code === 'chatkit_disabled' || error.code === 'chatkit_not_configured') deps.onUnavailable(error.code);
    throw error;
  }
  return (await readJson(response, SessionResponseSchema)).client_secret;
}

/**
 * ChatKit's two `api` shapes are mutually exclusive at runtime (a `domainKey` in hosted mode, or
 * none in backend mode, makes ChatKit refuse to start) and TypeScript cannot tell them apart, so
 * each is built from scratch here.
 */
export function buildChatKitApi(chatkit: ChatkitConfig, deps: ChatKitApiDeps): CustomApiConfig | HostedApiConfig {
  if (chatkit.mode === 'hosted') {
    return { getClientSecret: (current) => requestClientSecret(current, deps) };
  }
  // Backend mode: ChatKit talks to the worker's `/api/chatkit` with the user's Bearer token.
  // authFetch keeps ChatKit's own headers (object, array or Headers), always uses the freshest
  // token, and refreshes once on a 401, exactly like the app's other calls.
  return { url: chatkit.api_url, domainKey: chatkit.domain_key, fetch: watchChatkitCalls(deps) };
}

/** Everything ChatKit is configured with, besides the event handlers. */
export function buildChatKitOptions(chatkit: ChatkitConfig, deps: ChatKitApiDeps, initialConversationId: number | null = null): ChatKitOptions {
  return {
    api: buildChatKitApi(chatkit, deps),
    // Backend mode's thread ids are `thr_<conversation id>`, so the URL's conversation opens as is.
    ...(chatkit.mode === 'backend' && initialConversationId !== null ? { initialThread: threadIdFor(initialConversationId) } : {}),
    theme: CHATKIT_THEME,
    frameTitle: 'AI Task Assistant chat',
    startScreen: {
      greeting: WELCOME_TEXT,
      prompts: [
        { label: EXAMPLE_PROMPTS[0], prompt: EXAMPLE_PROMPTS[0], icon: 'plus' },
        { label: EXAMPLE_PROMPTS[1], prompt: EXAMPLE_PROMPTS[1], icon: 'check-circle' },
      ],
    },
    composer: {
      placeholder: COMPOSER_PLACEHOLDER,
      attachments: { enabled: false },
      dictation: { enabled: false },
    },
    history: { enabled: true, showDelete: true, showRename: true },
    // Retry regenerates an answer (`threads.retry_after_item`, answered from the origin).
    threadItemActions: { feedback: true, retry: true },
  };
}
