import { useCallback, useSyncExternalStore } from 'react';

/**
 * Which conversation is open, kept in the URL: `/chat/<conversation id>`, `/` for a new chat. Both
 * chats read and write it, so a reload, a shared link or Back/Forward opens the same conversation
 * in whichever chat the user has (ChatKit's `thr_<id>` is the same id). The worker's SPA fallback
 * serves these paths (worker/routes/spa.ts).
 */

const CHAT_PATH = /^\/chat\/([1-9]\d{0,14})\/?$/;

export function conversationIdFromPath(pathname: string): number | null {
  const match = CHAT_PATH.exec(pathname);
  return match?.[1] ? Number(match[1]) : null;
}

export function chatPath(conversationId: number | null): string {
  return conversationId === null ? '/' : `/chat/${conversationId}`;
}

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

function notify(): void {
  for (const listener of listeners) listener();
}

const currentConversationId = (): number | null => conversationIdFromPath(window.location.pathname);

/**
 * Opens `conversationId` in the URL: a new history entry (`push`, what a click does) or in place
 * (`replace`, e.g. when the server numbers a new chat). Same URL → nothing happens.
 */
export function navigateToConversation(conversationId: number | null, mode: 'push' | 'replace' = 'push'): void {
  const path = chatPath(conversationId);
  if (window.location.pathname === path) return;
  if (mode === 'push') window.history.pushState(null, '', path);
  else window.history.replaceState(null, '', path);
  notify();
}

export interface ChatRoute {
  /** The conversation the URL names, or null for a new chat. */
  conversationId: number | null;
  navigate: typeof navigateToConversation;
}

export function useChatRoute(): ChatRoute {
  const conversationId = useSyncExternalStore(subscribe, currentConversationId);
  const navigate = useCallback(navigateToConversation, []);
  return { conversationId, navigate };
}
