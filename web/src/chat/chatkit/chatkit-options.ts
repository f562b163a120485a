import type { ChatKitOptions, CustomApiConfig, HostedApiConfig, ThemeOption } from '@openai/chatkit-react';
import { readApiError, readJson } from '../../api/api-error';
import type { AuthFetch } from '../../auth/auth-fetch';
import type { ChatkitConfig, ChatkitUnavailableReason } from '../../flags/chat-decision';
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
  /** The server says ChatKit is off or not set up: show the legacy chat instead. */
  onUnavailable: (reason: ChatkitUnavailableReason) => void;
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
  return { url: chatkit.api_url, domainKey: chatkit.domain_key, fetch: deps.authFetch };
}

/** Everything ChatKit is configured with, besides the event handlers. */
export function buildChatKitOptions(chatkit: ChatkitConfig, deps: ChatKitApiDeps): ChatKitOptions {
  return {
    api: buildChatKitApi(chatkit, deps),
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
    threadItemActions: { feedback: true, retry: false },
  };
}
