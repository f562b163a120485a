import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import type { Task } from '../../../../shared/origin';
import type { AffectedTask } from '../../../../shared/tool-call-tasks';
import { describeError } from '../../api/api-error';
import { useOriginApi } from '../../api/origin-api';
import { useResource } from '../../api/use-resource';
import { useTaskListVersion, useTaskRefresh } from '../../tasks/task-refresh';
import { InlineError } from '../../ui/InlineError';

/**
 * The legacy chat's counterpart of ChatKit's task widget (issue 18, worker/chatkit/task-widgets.ts):
 * under an answer that used task tools, the tasks it touched, each with its state now and the
 * same controls (complete / reopen, delete), so both variants of the guarded rollout offer the
 * same thing. The state comes from one task-list read per message list, reloaded whenever the
 * task panel's is (task-refresh.tsx); a control's change refreshes both.
 */

/** The user's tasks now (`undefined` while loading or when no answer lists tasks). */
const CurrentTasksContext = createContext<ReadonlyMap<number, Task> | undefined>(undefined);

export function CurrentTasksProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const api = useOriginApi();
  const version = useTaskListVersion();
  const load = useCallback((signal: AbortSignal) => (enabled ? api.listTasks(signal) : Promise.resolve(null)), [api, enabled]);
  const { data } = useResource(load, version);
  const current = data ? new Map(data.map((task) => [task.id, task])) : undefined;
  return <CurrentTasksContext.Provider value={current}>{children}</CurrentTasksContext.Provider>;
}

function TaskRow({ affected, current }: { affected: AffectedTask; current: Task | undefined | null }) {
  const api = useOriginApi();
  const refreshTasks = useTaskRefresh();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(work: () => Promise<unknown>, what: string) {
    setBusy(true);
    setError(null);
    try {
      await work();
      refreshTasks();
    } catch (failure) {
      setError(`Couldn't ${what} “${affected.title}”. ${describeError(failure)}`);
    } finally {
      setBusy(false);
    }
  }

  if (current === null) {
    return (
      <li className="message-task message-task--gone" data-testid="message-task" data-state="deleted">
        <span className="message-task-title">{affected.title}</span>
        <span className="message-task-state">Deleted: this task no longer exists</span>
      </li>
    );
  }
  const title = current?.title ?? affected.title;
  const done = current?.completed ?? false;
  return (
    <li
      className={done ? 'message-task message-task--done' : 'message-task'}
      data-testid="message-task"
      data-state={current ? (done ? 'done' : 'open') : 'loading'}
    >
      <span className="message-task-title">{title}</span>
      <span className="message-task-state">{current ? (done ? 'Done' : 'Open') : ''}</span>
      <button
        type="button"
        className="message-task-button"
        disabled={busy || !current}
        onClick={() => void run(() => api.setTaskCompleted(affected.id, !done), done ? 'reopen' : 'complete')}
        data-testid={done ? 'message-task-reopen' : 'message-task-complete'}
      >
        {done ? 'Reopen' : 'Complete'}
      </button>
      <button
        type="button"
        className="message-task-button message-task-button--danger"
        disabled={busy || !current}
        onClick={() => void run(() => api.deleteTask(affected.id), 'delete')}
        data-testid="message-task-delete"
      >
        Delete
      </button>
      {error && <InlineError>{error}</InlineError>}
    </li>
  );
}

/** `children` is the "Used: …" line; the list follows it when the tools touched any task. */
export function TaskList({ tasks, children }: { tasks: readonly AffectedTask[]; children: ReactNode }) {
  const current = useContext(CurrentTasksContext);
  return (
    <div className="message-tasks" data-testid="message-tasks">
      {children}
      {tasks.length > 0 && (
        <ul className="message-task-list" aria-label="Tasks in this answer">
          {tasks.map((task) => (
            <TaskRow key={task.id} affected={task} current={current ? (current.get(task.id) ?? null) : undefined} />
          ))}
        </ul>
      )}
    </div>
  );
}
