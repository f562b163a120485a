import { isJsonObject } from '../../shared/json';
import type { CustomTask } from '../../shared/chatkit';
import type { ToolCall } from '../../shared/origin';

/**
 * How one of the origin's tool calls reads in ChatKit: a finished `custom` task ("Added task:
 * buy groceries") in the turn's workflow item. The origin's four task tools get a sentence each;
 * any other tool still shows up, by name, so a newer origin never breaks the stream.
 */

const MAX_TITLE_LENGTH = 120;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function record(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? value : {};
}

function clip(title: string): string {
  return title.length > MAX_TITLE_LENGTH ? `${title.slice(0, MAX_TITLE_LENGTH - 1)}…` : title;
}

/** The task the call was about: from its result (the stored task), else from its arguments. */
function taskLabel(call: ToolCall): string {
  const result = record(call.result);
  const fromResult = text(record(result.task).title);
  if (fromResult) return fromResult;
  const args = call.arguments ?? {};
  const title = text(args.title);
  if (title) return title;
  return typeof args.id === 'number' ? `task ${args.id}` : 'a task';
}

export function taskForToolCall(call: ToolCall): CustomTask {
  const failure = text(record(call.result).error);
  const label = taskLabel(call);
  const done = (title: string, icon?: CustomTask['icon']): CustomTask => ({
    type: 'custom',
    title: clip(title),
    ...(icon ? { icon } : {}),
    ...(failure ? { content: failure } : {}),
    status_indicator: 'complete',
  });

  switch (call.name) {
    case 'add_task':
      return done(`Added task: ${label}`, 'plus');
    case 'complete_task':
      return done(failure ? `Could not complete: ${label}` : `Completed task: ${label}`, 'check-circle');
    case 'delete_task':
      return done(failure ? `Could not delete: ${label}` : `Deleted task: ${label}`, 'empty-circle');
    case 'list_tasks': {
      const tasks = record(call.result).tasks;
      const count = Array.isArray(tasks) ? tasks.length : undefined;
      return done(count === undefined ? 'Looked up your tasks' : `Looked up your tasks (${count})`, 'notebook');
    }
    default:
      return done(`Used tool: ${call.name}`, 'bolt');
  }
}
