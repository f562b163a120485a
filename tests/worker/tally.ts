import { beforeAll, inject } from 'vitest';
import type { FigureName } from '../setup/resilience-figures';

/**
 * One figure of the closing `resilience: …` line (tests/setup/resilience-figures.ts), declared
 * next to the cases it counts:
 *
 *     const rejected = resilienceFigure('attacks_rejected', cases.length);
 *     …assertions…
 *     await rejected.record();          // a count: only after the assertions it counts
 *     await reachedOrigin.record(seen); // a measurement: what was seen, before asserting on it
 *
 * The declaration is sent before the file's tests run (so a file whose tests never reach their
 * `record` leaves its figure short of its total); every write must be acknowledged, or the test
 * that made it fails. Works inside workerd and in Node.
 */
export interface ResilienceFigure {
  record(value?: number): Promise<void>;
}

export function resilienceFigure(figure: FigureName, total: number): ResilienceFigure {
  beforeAll(() => writeTally('/declare', { figure, total }));
  return { record: (value = 1) => writeTally('/record', { figure, value }) };
}

async function writeTally(action: '/declare' | '/record', body: { figure: FigureName; total?: number; value?: number }): Promise<void> {
  const res = await fetch(`${inject('tallyUrl')}${action}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = await res.text();
  if (!res.ok) throw new Error(`tally ${action} ${JSON.stringify(body)} was not stored: ${res.status} ${answer}`);
}
