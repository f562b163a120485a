import { useEffect, useRef, useState } from 'react';
import { describeError } from '../../api/api-error';
import type { Conversation } from '../../../../shared/origin';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { PencilIcon, PlusIcon, TrashIcon } from '../../ui/icons';
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
  /** Resolves once renamed; rejects with the reason to show beside the field. */
  onRename: (conversationId: number, title: string) => Promise<void>;
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

const MAX_TITLE_LENGTH = 200;

interface RenameFormProps {
  conversation: Conversation;
  onSave: (title: string) => Promise<void>;
  onDone: () => void;
}

/** The title as an editable field: Enter (or Save) keeps it, Escape (or Cancel) leaves it as it was. */
function RenameForm({ conversation, onSave, onDone }: RenameFormProps) {
  const [title, setTitle] = useState(conversationTitle(conversation));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    const trimmed = title.trim();
    if (!trimmed) return setError('A title needs at least one character.');
    setSaving(true);
    setError(null);
    try {
      await onSave(trimmed);
      onDone();
    } catch (failure) {
      setError(`Couldn't rename it. ${describeError(failure)}`);
      setSaving(false);
    }
  }

  return (
    <form
      className="conversation-rename"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <label className="visually-hidden" htmlFor={`rename-${conversation.id}`}>
        New title
      </label>
      <input
        id={`rename-${conversation.id}`}
        className="conversation-rename-input"
        value={title}
        maxLength={MAX_TITLE_LENGTH}
        onChange={(event) => setTitle(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onDone();
        }}
        disabled={saving}
        // biome-ignore lint/a11y/noAutofocus: the field appears because the user just chose Rename
        autoFocus
        data-testid="rename-input"
      />
      <button className="button button--small" type="submit" disabled={saving} data-testid="rename-save">
        Save
      </button>
      <button className="button button--small button--quiet" type="button" onClick={onDone} disabled={saving}>
        Cancel
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** Past conversations: pick one, start a new one, rename one, or delete one (after a confirmation). */
export function ChatSidebar({ conversations, loading, error, activeConversationId, onSelect, onNewChat, onDelete, onRename, onReload }: ChatSidebarProps) {
  const [renamingId, setRenamingId] = useState<number | null>(null);
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
      <button ref={newChatRef} className="button button--primary button--block" type="button" onClick={onNewChat} data-testid="new-chat">
        <PlusIcon /> New chat
      </button>
      <h2 className="sidebar-title">Recent chats</h2>

      {error !== null && error !== undefined && <InlineError onRetry={onReload}>Couldn't load your conversations. {describeError(error)}</InlineError>}
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
                {renamingId === conversation.id ? (
                  <RenameForm conversation={conversation} onSave={(next) => onRename(conversation.id, next)} onDone={() => setRenamingId(null)} />
                ) : (
                  <>
                    <button className="conversation-select" type="button" onClick={() => onSelect(conversation.id)} aria-current={active ? 'page' : undefined}>
                      <span className="conversation-title">{title}</span>
                      <time className="conversation-time" dateTime={conversation.updated_at}>
                        {formatUpdatedAt(conversation.updated_at)}
                      </time>
                    </button>
                    <button
                      className="icon-button conversation-rename-button"
                      type="button"
                      onClick={() => setRenamingId(conversation.id)}
                      aria-label={`Rename conversation “${title}”`}
                      title="Rename conversation"
                      data-testid="rename-conversation"
                    >
                      <PencilIcon />
                    </button>
                  </>
                )}
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
