import { useMemo } from 'react';
import { useAuthFetch } from '../auth/auth-context';
import type { AuthFetch } from '../auth/auth-fetch';
import {
  ConversationDetailSchema,
  ConversationListSchema,
  ConversationSchema,
  TaskListSchema,
  TaskSchema,
  type Conversation,
  type ConversationDetail,
  type Task,
} from '../../../shared/origin';
import { readApiError, readJson } from './api-error';

const JSON_ACCEPT = { Accept: 'application/json' } as const;

/** The origin's `/api/v1` (through the worker), every answer validated against shared/origin.ts. */
export function createOriginApi(authFetch: AuthFetch) {
  return {
    async listConversations(signal?: AbortSignal): Promise<Conversation[]> {
      return readJson(await authFetch('/api/v1/conversations', { headers: JSON_ACCEPT, signal }), ConversationListSchema);
    },

    async getConversation(id: number, signal?: AbortSignal): Promise<ConversationDetail> {
      return readJson(await authFetch(`/api/v1/conversations/${id}`, { headers: JSON_ACCEPT, signal }), ConversationDetailSchema);
    },

    async deleteConversation(id: number): Promise<void> {
      const response = await authFetch(`/api/v1/conversations/${id}`, { method: 'DELETE', headers: JSON_ACCEPT });
      // 404: someone (another tab) deleted it first, which is what the user wanted anyway.
      if (!response.ok && response.status !== 404) throw await readApiError(response);
    },

    async renameConversation(id: number, title: string): Promise<Conversation> {
      const response = await authFetch(`/api/v1/conversations/${id}`, {
        method: 'PATCH',
        headers: { ...JSON_ACCEPT, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title }),
      });
      return readJson(response, ConversationSchema);
    },

    async setTaskCompleted(id: number, completed: boolean): Promise<Task> {
      const response = await authFetch(`/api/v1/tasks/${id}`, {
        method: 'PATCH',
        headers: { ...JSON_ACCEPT, 'Content-Type': 'application/json' },
        body: JSON.stringify({ completed }),
      });
      return readJson(response, TaskSchema);
    },

    /** `DELETE /api/v1/tasks/:id`; a task already gone (404) is what the user wanted anyway. */
    async deleteTask(id: number): Promise<void> {
      const response = await authFetch(`/api/v1/tasks/${id}`, { method: 'DELETE', headers: JSON_ACCEPT });
      if (!response.ok && response.status !== 404) throw await readApiError(response);
    },

    async listTasks(signal?: AbortSignal): Promise<Task[]> {
      return readJson(await authFetch('/api/v1/tasks', { headers: JSON_ACCEPT, signal }), TaskListSchema);
    },
  };
}

export type OriginApi = ReturnType<typeof createOriginApi>;

export function useOriginApi(): OriginApi {
  const authFetch = useAuthFetch();
  return useMemo(() => createOriginApi(authFetch), [authFetch]);
}
