import { useEffect, useState } from 'react';
import { loadChatKitScript } from './load-chatkit-script';

export type ScriptStatus = 'loading' | 'ready' | 'failed';

export function useChatKitScript(): ScriptStatus {
  const [status, setStatus] = useState<ScriptStatus>('loading');
  useEffect(() => {
    let current = true;
    loadChatKitScript().then(
      () => current && setStatus('ready'),
      (error: unknown) => {
        console.warn('[chatkit] falling back to the legacy chat:', error);
        if (current) setStatus('failed');
      },
    );
    return () => {
      current = false;
    };
  }, []);
  return status;
}
