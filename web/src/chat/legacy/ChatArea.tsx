import type { ReactNode } from 'react';

/** The legacy chat's layout: conversation list on the left, the conversation on the right. */
export function ChatArea({ sidebar, children }: { sidebar: ReactNode; children: ReactNode }) {
  return (
    <div className="chat-area" data-testid="legacy-chat">
      {sidebar}
      <section className="chat-main" aria-label="Conversation">
        {children}
      </section>
    </div>
  );
}
