import { inject } from 'vitest';

/** What the reference origin recorded (origin/recorder.ts), read over its control API. */
export interface OriginRecord {
  method: string;
  path: string;
  headers: Record<string, string>;
  aborted: boolean;
}

export async function originRequests(): Promise<OriginRecord[]> {
  return (await (await fetch(`${inject('originUrl')}/__origin/requests`)).json()) as OriginRecord[];
}

/** Requests the origin received whose raw path contains `marker`. */
export async function originRequestsMatching(marker: string): Promise<OriginRecord[]> {
  return (await originRequests()).filter((record) => record.path.includes(marker));
}

export function uniqueMarker(prefix = 'case'): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
