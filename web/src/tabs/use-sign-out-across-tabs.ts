import { useEffect } from 'react';
import type { AuthSession } from '../auth/auth-session';
import { listenToOtherTabs, tellOtherTabs } from './tab-channel';

export const SIGNED_OUT_ELSEWHERE_NOTICE = 'You signed out in another tab.';

/**
 * Signing out in one tab signs out every other open tab: otherwise they would keep showing
 * conversations and tasks, and fail on their next call. (Any sign-out counts: a click, or a
 * session that ended.)
 */
export function useSignOutAcrossTabs(session: AuthSession): void {
  useEffect(() => {
    let previous = session.getState().status;
    let signingOutForAnotherTab = false;
    const unsubscribe = session.subscribe(() => {
      const { status } = session.getState();
      if (previous === 'signed-in' && status === 'signed-out' && !signingOutForAnotherTab) tellOtherTabs({ type: 'signed-out' });
      previous = status;
    });
    const stopListening = listenToOtherTabs((message) => {
      if (message.type !== 'signed-out' || session.getState().status !== 'signed-in') return;
      signingOutForAnotherTab = true;
      // signOut switches the state synchronously, so the subscriber above sees the flag.
      void session.signOut(SIGNED_OUT_ELSEWHERE_NOTICE);
      signingOutForAnotherTab = false;
    });
    return () => {
      unsubscribe();
      stopListening();
    };
  }, [session]);
}
