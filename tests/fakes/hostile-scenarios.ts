/**
 * What the hostile origin (tests/fakes/hostile-origin.ts) is told to do, and how a test reads
 * what happened. No Node imports: worker tests inside workerd use this file too.
 */

import { base64url } from 'jose';

export type Scenario =
  /**
   * Exactly these header lines (CRLF-joined, sent as given; `{{base}}` becomes the base URL the
   * request came in on, as an origin's own absolute links would) and body, then the connection closes.
   */
  | { kind: 'raw'; id: string; status?: number; headerLines: string[]; body?: string }
  /** `text/event-stream`: `prelude` (raw SSE text) first, then `filler` repeated forever. */
  | { kind: 'sse-flood'; id: string; prelude: string; filler: string }
  /** `text/event-stream`: `prelude`, then silence (the connection stays open). */
  | { kind: 'sse-stall'; id: string; prelude: string }
  /** `application/json` of about `bytes` bytes (an array of conversations), with or without a length. */
  | { kind: 'json-flood'; id: string; bytes: number; contentLength: boolean };

export interface ScenarioStats {
  /** Body bytes flushed to the socket. */
  bytes: number;
  /** The worker closed (or reset) the connection before the origin finished. */
  closedByPeer: boolean;
  /** Connections opened for this scenario. */
  connections: number;
}

const encodeScenario = (scenario: Scenario): string => base64url.encode(JSON.stringify(scenario));

/** The base URL to use as the worker's `ORIGIN_URL` for one scenario. */
export function scenarioUrl(originUrl: string, scenario: Scenario): string {
  return `${originUrl}/s/${encodeScenario(scenario)}`;
}

/**
 * The same as {@link scenarioUrl} for a scenario of any size: it is registered with the hostile
 * origin first and named by a short key, since workerd refuses a URI of hundreds of KB.
 */
export async function registeredScenarioUrl(originUrl: string, scenario: Scenario): Promise<string> {
  const res = await fetch(`${originUrl}/__hostile/scenarios`, { method: 'POST', body: JSON.stringify(scenario) });
  if (!res.ok) throw new Error(`the hostile origin did not register the scenario: ${res.status}`);
  const { key } = (await res.json()) as { key: string };
  return `${originUrl}/k/${key}`;
}

/** `scenario=…`, for a request through a worker whose `ORIGIN_URL` is the hostile origin itself. */
export function scenarioQuery(scenario: Scenario): string {
  return `scenario=${encodeScenario(scenario)}`;
}

/** Reads one scenario's stats (from inside workerd or Node alike). */
export async function hostileStats(originUrl: string, id: string): Promise<ScenarioStats> {
  return (await (await fetch(`${originUrl}/__hostile/stats/${id}`)).json()) as ScenarioStats;
}
