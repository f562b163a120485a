import type { ThreadItem } from '../../shared/chatkit';
import type { ConversationDetail, Task } from '../../shared/origin';
import type { OriginClient } from './origin-client';
import { hasTaskWidget } from './task-widgets';
import { threadItemsFromMessages } from './thread-items';

export interface LoadedThread {
  detail: ConversationDetail;
  items: ThreadItem[];
}

/**
 * A conversation and its ChatKit items, as every listing and action sees them. When an answer
 * has a task widget, the user's current tasks are read too (one more origin call), so the widget
 * shows today's state (issue 18); a thread without task tools costs no extra call.
 */
export async function loadThreadItems(client: OriginClient, conversationId: number): Promise<LoadedThread> {
  const detail = await client.getConversation(conversationId);
  const tasks: Task[] = detail.messages.some(hasTaskWidget) ? await client.listTasks() : [];
  return { detail, items: threadItemsFromMessages(detail.id, detail.messages, tasks) };
}
