import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { listenToOtherTabs, tellOtherTabs } from '../tabs/tab-channel';

interface TaskRefreshValue {
  /** Bumped on every refresh request; the task panel reloads when it changes. */
  version: number;
  refreshTasks: () => void;
}

// Without a provider (a chat rendered on its own) refreshing is simply a no-op.
const TaskRefreshContext = createContext<TaskRefreshValue>({ version: 0, refreshTasks: () => {} });

/**
 * Lets either chat tell the task panel "the assistant may have changed your tasks": the legacy chat
 * after each answer, ChatKit on a `tasks.changed` effect or at the end of a response, the panel
 * itself after a tick. Other open tabs hear about it too and reload their panel.
 */
export function TaskRefreshProvider({ children }: { children: ReactNode }) {
  const [version, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((current) => current + 1), []);
  const refreshTasks = useCallback(() => {
    bump();
    tellOtherTabs({ type: 'tasks-changed' });
  }, [bump]);
  useEffect(() => listenToOtherTabs((message) => message.type === 'tasks-changed' && bump()), [bump]);
  const value = useMemo(() => ({ version, refreshTasks }), [version, refreshTasks]);
  return <TaskRefreshContext.Provider value={value}>{children}</TaskRefreshContext.Provider>;
}

export function useTaskRefresh(): () => void {
  return useContext(TaskRefreshContext).refreshTasks;
}

export function useTaskListVersion(): number {
  return useContext(TaskRefreshContext).version;
}
