/**
 * Records every request exactly as it arrived on the wire, for the worker's security tests
 * ("did the traversal reach the origin?", "which identity headers got through?"). It hooks the raw
 * Node request, before @hono/node-server builds a URL from it, because that step normalises
 * `..` segments and rejects some paths outright, and those are exactly the cases tests look for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** Path and query as received (`IncomingMessage.url`), not normalised. */
  path: string;
  /** Every header, lower-cased; repeated headers joined with ", " (none is dropped). */
  headers: Record<string, string>;
  /** When the request arrived (ISO-8601 UTC). */
  at: string;
  /** True when the client disconnected before the response finished. */
  aborted: boolean;
  /** The status sent, once the response has finished; null until then (or if it never did). */
  status: number | null;
}

/** Requests to the control endpoints are not recorded: reading the log must not change it. */
export const CONTROL_PATH_PREFIX = '/__origin/';

/**
 * Folds Node's `rawHeaders` into one lower-cased record. Unlike `IncomingMessage.headers`, which
 * silently keeps only the first of a repeated `Authorization` or `Host`, every value is kept.
 */
export function headersFromRaw(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return headers;
}

export function recordNodeRequest(log: RecordedRequest[], req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  if (path.startsWith(CONTROL_PATH_PREFIX)) return;
  const entry: RecordedRequest = {
    method: req.method ?? '',
    path,
    headers: headersFromRaw(req.rawHeaders),
    at: new Date().toISOString(),
    aborted: false,
    status: null,
  };
  log.push(entry);
  res.once('finish', () => {
    entry.status = res.statusCode;
  });
  res.once('close', () => {
    if (!res.writableFinished) entry.aborted = true;
  });
}
