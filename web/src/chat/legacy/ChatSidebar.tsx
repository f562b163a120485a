import { useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/api-error';
import type { Conversation } from '../../../../shared/origin';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { PlusIcon, TrashIcon } from '../../ui/icons';
import { InlineError } from '../../ui/InlineError';

interface ChatSidebarProps {
  conversations: readonly Conversation[] | undefined;
  loading: boolean;
  error: unknown;
  activeConversationId: number | null;
  onSelect: (conversationId: number) => void;
  onNewChat: () => void;
  /** Resolves once deleted; rejects with the reason to show in the dialog. */
  onDelete: (conversationId: number) => Promise<void>;
  onReload: () => void;
}

function conversationTitle(conversation: Conversation): string {
  return conversation.title?.trim() || 'Untitled chat';
}

function formatUpdatedAt(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** Past conversations: pick one, start a new one, or delete one (after a confirmation). */
export function ChatSidebar({
  conversations,
  loading,
  error,
  activeConversationId,
  onSelect,
  onNewChat,
  onDelete,
  onReload,
}: ChatSidebarProps) {
  const [pendingDelete, setPendingDelete] = useState<{ conversation: Conversation; opener: HTMLElement } | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const newChatRef = useRef<HTMLButtonElement>(null);
  // After a delete the dialog would hand focus back to a row that is about to disappear; park it
  // on "New chat" instead (this effect runs after the dialog's own focus restore).
  const [refocusAfterDelete, setRefocusAfterDelete] = useState(false);
  useEffect(() => {
    if (!refocusAfterDelete) return;
    newChatRef.current?.focus();
    setRefocusAfterDelete(false);
  }, [refocusAfterDelete]);

  function closeDialog() {
    setPendingDelete(null);
    setDeleteError(null);
  }

  async function confirmDelete() {
    if (!pendingDelete) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      await onDelete(pendingDelete.conversation.id);
      closeDialog();
      setRefocusAfterDelete(true);
    } catch (failure) {
      setDeleteError(`Couldn't delete it. ${describeError(failure)}`);
    } finally {
      setDeleting(false);
    }
  }

  return (
    <nav className="chat-sidebar" aria-label="Conversations" data-testid="chat-sidebar">
      <button
        ref={newChatRef}
        className="button button--primary button--block"
        type="button"
        onClick={onNewChat}
        data-testid="new-chat"
      >
        <PlusIcon /> New chat
      </button>
      <h2 className="sidebar-title">Recent chats</h2>

      {error !== null && error !== undefined && (
        <InlineError onRetry={onReload}>Couldn't load your conversations. {describeError(error)}</InlineError>
      )}
      {conversations === undefined && loading && (
        <ul className="conversation-list" aria-hidden="true">
          {[0, 1, 2].map((row) => (
            <li key={row} className="conversation conversation--placeholder" />
          ))}
        </ul>
      )}
      {conversations?.length === 0 && <p className="sidebar-empty">No conversations yet.</p>}
      {conversations && conversations.length > 0 && (
        <ul className="conversation-list">
          {conversations.map((conversation) => {
            const active = conversation.id === activeConversationId;
            const title = conversationTitle(conversation);
            return (
              <li
                key={conversation.id}
                className={active ? 'conversation conversation--active' : 'conversation'}
                data-testid="conversation-item"
                data-conversation-id={conversation.id}
              >
                <button
                  className="conversation-select"
                  type="button"
                  onClick={() => onSelect(conversation.id)}
                  aria-current={active ? 'page' : undefined}
                >
                  <span className="conversation-title">{title}</span>
                  <time className="conversation-time" dateTime={conversation.updated_at}>
                    {formatUpdatedAt(conversation.updated_at)}
                  </time>
                </button>
                <button
                  className="icon-button conversation-delete"
                  type="button"
                  onClick={(event) => setPendingDelete({ conversation, opener: event.currentTarget })}
                  aria-label={`Delete conversation “${title}”`}
                  title="Delete conversation"
                  data-testid="delete-conversation"
                >
                  <TrashIcon />
                </button>
              </li>
            );
          })}
        </ul>
      )}

      {pendingDelete && (
        <ConfirmDialog
          title="Delete this conversation?"
          message={`“${conversationTitle(pendingDelete.conversation)}” and its messages will be deleted for good. Your tasks are not affected.`}
          confirmLabel="Delete"
          busy={deleting}
          error={deleteError}
          returnFocusTo={pendingDelete.opener}
          onConfirm={() => void confirmDelete()}
          onCancel={closeDialog}
        />
      )}
    </nav>
  );
}
