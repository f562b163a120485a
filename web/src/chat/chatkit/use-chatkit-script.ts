import { useEffect, useState } from 'react';
import { loadChatKitScript } from './load-chatkit-script';

export type ScriptState = { status: 'loading' } | { status: 'ready' } | { status: 'failed'; reason: string };

export function useChatKitScript(): ScriptState {
  const [state, setState] = useState<ScriptState>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    loadChatKitScript().then(
      () => current && setState({ status: 'ready' }),
      (error: unknown) => {
        console.warn('[chatkit] falling back to the legacy chat:', error);
        if (current) setState({ status: 'failed', reason: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      current = false;
    };
  }, []);
  return state;
}
