import { useCallback, useMemo } from 'react';
import { useOriginApi } from '../../api/origin-api';
import { useResource, type Resource } from '../../api/use-resource';
import type { Conversation } from '../../../../shared/origin';

export interface ConversationList extends Resource<Conversation[]> {
  remove: (conversationId: number) => Promise<void>;
  /** Resolves once renamed; rejects with the reason to show. */
  rename: (conversationId: number, title: string) => Promise<void>;
}

/** Most recently active first, whatever order the server used. */
function byRecentActivity(a: Conversation, b: Conversation): number {
  return (Date.parse(b.updated_at) || 0) - (Date.parse(a.updated_at) || 0) || b.id - a.id;
}

export function useConversationList(): ConversationList {
  const api = useOriginApi();
  const load = useCallback((signal: AbortSignal) => api.listConversations(signal), [api]);
  const resource = useResource(load);
  const { reload } = resource;
  const sorted = useMemo(() => resource.data && [...resource.data].sort(byRecentActivity), [resource.data]);

  const remove = useCallback(
    async (conversationId: number) => {
      await api.deleteConversation(conversationId);
      reload();
    },
    [api, reload],
  );

  const rename = useCallback(
    async (conversationId: number, title: string) => {
      await api.renameConversation(conversationId, title);
      reload();
    },
    [api, reload],
  );

  return { ...resource, data: sorted, remove, rename };
}
