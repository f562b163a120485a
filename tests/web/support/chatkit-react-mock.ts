import type { UseChatKitOptions } from '@openai/chatkit-react';
import { createElement, useEffect } from 'react';

/**
 * Stands in for `@openai/chatkit-react` in component tests:
 * `vi.mock('@openai/chatkit-react', () => import('./support/chatkit-react-mock'))`.
 * Records what the app handed to useChatKit, the thread ids it set, and how often <ChatKit> mounted.
 */
export const chatkitCalls = { options: [] as unknown[], mounts: 0, threadIds: [] as Array<string | null> };

export function resetChatkitCalls(): void {
  chatkitCalls.options.length = 0;
  chatkitCalls.mounts = 0;
  chatkitCalls.threadIds.length = 0;
}

export const latestChatkitOptions = () => chatkitCalls.options.at(-1) as UseChatKitOptions;

export function useChatKit(options: unknown) {
  chatkitCalls.options.push(options);
  return {
    control: { options, handlers: {}, setInstance() {} },
    async setThreadId(threadId: string | null) {
      chatkitCalls.threadIds.push(threadId);
    },
  };
}

export function ChatKit({ className }: { className?: string }) {
  useEffect(() => {
    chatkitCalls.mounts += 1;
  }, []);
  return createElement('div', { 'data-testid': 'chatkit-element', className });
}
