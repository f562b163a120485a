import * as v from 'valibot';
import type { ChatkitRequestOf, SyncCustomActionResponse, WidgetItem } from '../../shared/chatkit';
import { TASK_ACTION_TYPES, TaskActionPayloadSchema, type TaskAction } from '../../shared/chatkit-widgets';
import { ApiError } from '../lib/errors';
import { logEvent } from '../lib/log';
import type { ChatkitContext } from './handlers';
import { parseThreadId } from './ids';
import { chatkitEventStream } from './sse';
import { affectedTasks, parseTaskWidgetItemId, taskWidgetItem } from './task-widgets';
import { loadThreadItems } from './thread-loader';

/**
 * The task widget's buttons (issue 18): `threads.custom_action` (streamed: `stream_options`,
 * `thread.item.replaced` with the widget as it is now, `client_effect` `tasks.changed`) and
 * `threads.sync_custom_action` (JSON `{updated_item}`), both answered from the origin's
 * `/api/v1/tasks`.
 *
 * Checks, in this order, all before anything reaches the origin's task routes or a stream opens
 * (so each is the contract's JSON error): the action (`tasks.complete|reopen|delete` with
 * `{task_id: <positive integer>}`, else 400 `bad_request`, without any origin call); the thread
 * and the widget item (a foreign, malformed or missing one is 404 `not_found`, exactly like a
 * missing one); the task must be one of that widget's rows (else 400). A task deleted meanwhile is
 * no error: the widget comes back saying it no longer exists.
 */

type CustomActionRequest = ChatkitRequestOf<'threads.custom_action'> | ChatkitRequestOf<'threads.sync_custom_action'>;

const ITEM_NOT_FOUND = 'Item not found.';

function parseTaskAction(action: CustomActionRequest['params']['action']): TaskAction {
  if (!(TASK_ACTION_TYPES as readonly string[]).includes(action.type)) {
    throw new ApiError('bad_request', `Unknown action type "${action.type.slice(0, 64)}": expected one of ${TASK_ACTION_TYPES.join(', ')}.`);
  }
  const payload = v.safeParse(TaskActionPayloadSchema, action.payload);
  if (!payload.success) throw new ApiError('bad_request', 'The action payload must be {"task_id": <a positive integer>}.');
  return { type: action.type as TaskAction['type'], payload: payload.output };
}

/** Runs the action at the origin and returns the widget item as it is now. */
async function runTaskAction(ctx: ChatkitContext, { params }: CustomActionRequest): Promise<{ item: WidgetItem; action: TaskAction }> {
  const action = parseTaskAction(params.action);
  const conversationId = parseThreadId(params.thread_id);
  const messageId = params.item_id ? parseTaskWidgetItemId(params.item_id) : null;
  if (conversationId === null || messageId === null) throw new ApiError('not_found', ITEM_NOT_FOUND);

  // The origin answers another user's conversation with 404, so a foreign item reads as missing.
  const { detail } = await loadThreadItems(ctx.client, conversationId);
  const message = detail.messages.find((candidate) => candidate.id === messageId && candidate.role === 'assistant');
  const affected = message ? affectedTasks(message.tool_calls) : [];
  if (affected.length === 0) throw new ApiError('not_found', ITEM_NOT_FOUND);
  const taskId = action.payload.task_id;
  if (!affected.some((task) => task.id === taskId)) throw new ApiError('bad_request', `This widget has no task ${taskId}.`);

  if (action.type === 'tasks.delete') await ctx.client.deleteTask(taskId);
  else await ctx.client.setTaskCompleted(taskId, action.type === 'tasks.complete');
  logEvent('info', 'chatkit_task_action', { request_id: ctx.requestId, user_id: ctx.userId, action: action.type, task_id: taskId });

  const tasks = await ctx.client.listTasks();
  return { item: taskWidgetItem(params.thread_id, messageId, affected, tasks, message!.created_at), action };
}

export async function syncCustomAction(ctx: ChatkitContext, request: ChatkitRequestOf<'threads.sync_custom_action'>): Promise<SyncCustomActionResponse> {
  const { item } = await runTaskAction(ctx, request);
  return { updated_item: item };
}

/**
 * The work is done before the stream opens (it is quick, and a failure is then a plain JSON error
 * like every other pre-stream failure); the stream replaces the widget and tells the page.
 */
export async function customAction(ctx: ChatkitContext, request: ChatkitRequestOf<'threads.custom_action'>): Promise<Response> {
  const { item, action } = await runTaskAction(ctx, request);
  return chatkitEventStream(
    async (sink) => {
      sink.send({ type: 'stream_options', stream_options: { allow_cancel: false } });
      sink.send({ type: 'thread.item.replaced', item });
      sink.send({ type: 'client_effect', name: 'tasks.changed', data: { action: action.type, task_id: action.payload.task_id } });
    },
    { browserGone: ctx.browserGone, onUnexpectedError: () => undefined },
  );
}
