import { useCallback, useEffect, useState } from 'react';

export interface Resource<T> {
  /** The last good value; kept while reloading so lists do not flicker. */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

interface ResourceState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

/**
 * Loads something when `load` or `reloadKey` changes, or when `reload()` is called. A newer load
 * aborts the older one, so a slow stale answer never overwrites a fresh one.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, reloadKey?: unknown): Resource<T> {
  const [state, setState] = useState<ResourceState<T>>({ data: undefined, error: null, loading: true });
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState((current) => ({ ...current, loading: true }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((current) => ({ data: current.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [load, reloadKey, reloads]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);
  return { ...state, reload };
}
