import type { ToolCall } from './origin';

/**
 * Which tasks an answer's tool calls touched (issue 18): the rows of ChatKit's task widget
 * (worker/chatkit/task-widgets.ts) and of the legacy chat's task list under an answer
 * (web/src/chat/legacy/TaskList.tsx), so both chats show the same tasks.
 */

/** A task an answer touched: its id, and its title as the tool call saw it (for a task since deleted). */
export interface AffectedTask {
  id: number;
  title: string;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asTask(value: unknown): AffectedTask | null {
  const { id, title } = record(value);
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return null;
  return { id, title: typeof title === 'string' && title.trim() ? title.trim() : `Task ${id}` };
}

/**
 * The tasks the calls touched, in call order, each once: the `task` of add / complete / delete
 * results and the `tasks` of a listing. Failed calls (`{error}`) and other tools add none.
 */
export function affectedTasks(toolCalls: readonly ToolCall[]): AffectedTask[] {
  const byId = new Map<number, AffectedTask>();
  for (const call of toolCalls) {
    const result = record(call.result);
    const found = call.name === 'list_tasks' && Array.isArray(result.tasks) ? result.tasks.map(asTask) : [asTask(result.task)];
    for (const task of found) if (task && !byId.has(task.id)) byId.set(task.id, task);
  }
  return [...byId.values()];
}
