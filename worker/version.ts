import pkg from '../package.json';

/** Reported by `/healthz`, so ops can tell which build an isolate runs. */
export const WORKER_VERSION: string = pkg.version;
