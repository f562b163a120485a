import type { ActionConfig, ListViewItem, TaskActionType, WidgetComponent, WidgetRoot } from '../../shared/chatkit-widgets';
import type { WidgetItem } from '../../shared/chatkit';
import type { Message, Task } from '../../shared/origin';
import { affectedTasks, type AffectedTask } from '../../shared/tool-call-tasks';

export { affectedTasks, type AffectedTask };

/**
 * The task widget (issue 18): after an answer that used a task tool, a `widget` item listing the
 * tasks that answer touched, one row each (title, done state, complete/reopen and delete
 * buttons). Its id is `wg_<assistant message id>`, so it is the same item in the live stream, in
 * every listing and after a reload. The rows always show the task as the origin has it NOW
 * (`GET /api/v1/tasks`), not as it was when the answer was written; a task that is gone says so.
 * The buttons send `tasks.complete` / `tasks.reopen` / `tasks.delete` with `{task_id}`
 * (custom-actions.ts answers them).
 */

const WIDGET_ID = /^wg_([1-9]\d{0,14})$/;
const MAX_TITLE_LENGTH = 120;

export function taskWidgetItemId(assistantMessageId: number): string {
  return `wg_${assistantMessageId}`;
}

/** The assistant message id of a widget item id, or null (same strictness as ids.ts). */
export function parseTaskWidgetItemId(itemId: string): number | null {
  const match = WIDGET_ID.exec(itemId);
  return match?.[1] ? Number(match[1]) : null;
}

/** True when a message's answer gets a task widget. */
export function hasTaskWidget(message: Message): boolean {
  return message.role === 'assistant' && affectedTasks(message.tool_calls).length > 0;
}

function clip(title: string): string {
  return title.length > MAX_TITLE_LENGTH ? `${title.slice(0, MAX_TITLE_LENGTH - 1)}…` : title;
}

function action(type: TaskActionType, taskId: number): ActionConfig {
  // `container`: the whole widget shows it is busy until the replacement arrives.
  return { type, payload: { task_id: taskId }, handler: 'server', loadingBehavior: 'container' };
}

function taskRow(affected: AffectedTask, current: Task | undefined): ListViewItem {
  const key = `task-${affected.id}`;
  if (!current) {
    return {
      type: 'ListViewItem',
      key,
      gap: 3,
      align: 'center',
      children: [
        { type: 'Icon', name: 'empty-circle', color: 'secondary' },
        {
          type: 'Col',
          gap: 0,
          flex: 1,
          children: [
            { type: 'Text', value: clip(affected.title), lineThrough: true, color: 'secondary', truncate: true },
            { type: 'Caption', value: 'Deleted: this task no longer exists', color: 'secondary' },
          ],
        },
      ],
    };
  }
  const done = current.completed;
  const title = clip(current.title);
  const children: WidgetComponent[] = [
    { type: 'Icon', name: done ? 'check-circle-filled' : 'empty-circle', color: done ? 'success' : 'secondary' },
    {
      type: 'Col',
      gap: 0,
      flex: 1,
      children: [
        { type: 'Text', value: title, lineThrough: done, truncate: true },
        { type: 'Caption', value: done ? 'Done' : 'Open', color: 'secondary' },
      ],
    },
    done
      ? { type: 'Button', label: 'Reopen', iconStart: 'reload', size: 'sm', variant: 'outline', onClickAction: action('tasks.reopen', current.id) }
      : {
          type: 'Button',
          label: 'Complete',
          iconStart: 'check',
          size: 'sm',
          variant: 'solid',
          color: 'success',
          onClickAction: action('tasks.complete', current.id),
        },
    { type: 'Button', label: 'Delete', size: 'sm', variant: 'ghost', color: 'danger', onClickAction: action('tasks.delete', current.id) },
  ];
  return { type: 'ListViewItem', key, gap: 3, align: 'center', children };
}

/** The widget tree for `affected`, each row from `current` (the origin's task list now). */
export function taskWidget(affected: readonly AffectedTask[], current: readonly Task[]): WidgetRoot {
  const now = new Map(current.map((task) => [task.id, task]));
  return {
    type: 'ListView',
    status: { text: affected.length === 1 ? 'Task' : `Tasks (${affected.length})`, icon: 'notebook' },
    children: affected.map((task) => taskRow(task, now.get(task.id))),
  };
}

/** The same state in words (the item's `copy_text`). */
function copyText(affected: readonly AffectedTask[], current: readonly Task[]): string {
  const now = new Map(current.map((task) => [task.id, task]));
  return affected
    .map((task) => {
      const found = now.get(task.id);
      if (!found) return `- ${task.title} (deleted)`;
      return `- [${found.completed ? 'x' : ' '}] ${found.title}`;
    })
    .join('\n');
}

export function taskWidgetItem(
  threadId: string,
  assistantMessageId: number,
  affected: readonly AffectedTask[],
  current: readonly Task[],
  createdAt: string,
): WidgetItem {
  return {
    type: 'widget',
    id: taskWidgetItemId(assistantMessageId),
    thread_id: threadId,
    created_at: createdAt,
    widget: taskWidget(affected, current),
    copy_text: copyText(affected, current),
  };
}
