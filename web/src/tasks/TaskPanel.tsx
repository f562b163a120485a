import { useCallback, useState } from 'react';
import { describeError } from '../api/api-error';
import { useOriginApi } from '../api/origin-api';
import { useResource } from '../api/use-resource';
import type { Task } from '../../../shared/origin';
import { useTaskListVersion, useTaskRefresh } from './task-refresh';
import { CheckIcon, RefreshIcon } from '../ui/icons';
import { InlineError } from '../ui/InlineError';

/** Open tasks first, then finished ones; each group keeps the server's order. */
function openFirst(tasks: readonly Task[]): Task[] {
  return [...tasks.filter((task) => !task.completed), ...tasks.filter((task) => task.completed)];
}

/** The user's tasks beside the chat, so what the assistant did is visible at a glance. */
export function TaskPanel() {
  const api = useOriginApi();
  const version = useTaskListVersion();
  const load = useCallback((signal: AbortSignal) => api.listTasks(signal), [api]);
  const { data: tasks, error, loading, reload } = useResource(load, version);
  const refreshTasks = useTaskRefresh();
  const [toggling, setToggling] = useState<number | null>(null);
  const [toggleError, setToggleError] = useState<string | null>(null);

  /** The circle completes an open task and reopens a finished one. */
  async function toggle(task: Task) {
    setToggling(task.id);
    setToggleError(null);
    try {
      await api.setTaskCompleted(task.id, !task.completed);
      refreshTasks();
    } catch (failure) {
      setToggleError(`Couldn't update “${task.title}”. ${describeError(failure)}`);
    } finally {
      setToggling(null);
    }
  }
  const openCount = tasks?.filter((task) => !task.completed).length ?? 0;

  return (
    <aside className="task-panel" aria-labelledby="task-panel-heading" data-testid="task-panel" aria-busy={loading}>
      <div className="panel-header">
        <h2 className="panel-title" id="task-panel-heading">
          Your tasks
        </h2>
        <button
          className="icon-button"
          type="button"
          onClick={reload}
          disabled={loading}
          aria-label="Refresh tasks"
          title="Refresh tasks"
          data-testid="refresh-tasks"
        >
          <RefreshIcon className={loading ? 'spin' : undefined} />
        </button>
      </div>

      {tasks && tasks.length > 0 && (
        <p className="panel-summary">
          {openCount} to do · {tasks.length - openCount} done
        </p>
      )}

      {error !== null && <InlineError onRetry={reload}>Couldn't load your tasks. {describeError(error)}</InlineError>}

      {toggleError && <InlineError>{toggleError}</InlineError>}

      {tasks === undefined && loading && (
        <ul className="task-list" aria-hidden="true">
          {[0, 1, 2].map((row) => (
            <li key={row} className="task-item task-item--placeholder" />
          ))}
        </ul>
      )}

      {tasks?.length === 0 && <p className="panel-empty">No tasks yet. Ask the assistant to add one.</p>}

      {tasks && tasks.length > 0 && (
        <ul className="task-list" aria-label="Tasks">
          {openFirst(tasks).map((task) => (
            <li key={task.id} className={task.completed ? 'task-item task-item--done' : 'task-item'} data-testid="task-item" data-completed={task.completed}>
              <button
                className="task-check"
                type="button"
                onClick={() => void toggle(task)}
                disabled={toggling === task.id}
                aria-pressed={task.completed}
                aria-label={task.completed ? `Reopen “${task.title}”` : `Complete “${task.title}”`}
                title={task.completed ? 'Reopen' : 'Mark as done'}
                data-testid="task-toggle"
              >
                {task.completed && <CheckIcon />}
              </button>
              <span className="task-title">{task.title}</span>
              <span className="visually-hidden">{task.completed ? ' (done)' : ' (to do)'}</span>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
