/**
 * The figures of the closing `resilience: …` line (README "Tests"), in the order it prints them.
 *
 * - A count figure ("41 attacks rejected") passes when what the tests recorded adds up to the
 *   total their files declared next to their cases.
 * - A `zero` figure ("0 reached origin") is a measurement, not a count of passes: each recording
 *   is one observation of how many bad things were seen. It passes when it was observed as often
 *   as declared and every observation saw none. It is printed right after the figure before it.
 *
 * Adding a figure is one line here plus `resilienceFigure(name, total)` next to its cases
 * (tests/worker/tally.ts).
 */
export const RESILIENCE_FIGURES = {
  attacks_rejected: { text: 'attacks rejected' },
  attacks_reached_origin: { text: 'reached origin', zero: true },
  smuggling_blocked: { text: 'smuggling attempts blocked' },
  identity_leaks: { text: 'identity leaks', zero: true },
  faults_survived: { text: 'faults survived' },
  origin_faults_survived: { text: 'origin faults survived' },
  hostile_origin_headers_dropped: { text: 'hostile origin headers dropped' },
  load_requests: { text: 'requests' },
  load_unexpected: { text: 'unexpected', zero: true },
} satisfies Record<string, { text: string; zero?: true }>;

export type FigureName = keyof typeof RESILIENCE_FIGURES;

export const isFigureName = (name: string): name is FigureName => Object.hasOwn(RESILIENCE_FIGURES, name);

/** What the tally server holds for one figure over the whole run. */
export interface FigureTally {
  /** Sum of the totals declared by the files that ran. */
  declared: number;
  /** Sum of the recorded values. */
  value: number;
  /** How many recordings were made. */
  observations: number;
}

export interface ResilienceSummary {
  line: string;
  failed: boolean;
  problems: string[];
}

/**
 * The closing line from what the tests recorded. `runPassed` is vitest's verdict on the run:
 * a failed case fails the line even when every count adds up. A figure no file declared (its
 * files were not part of this run) is printed as "not run" and fails nothing by itself.
 */
export function summarizeResilience(tallies: Partial<Record<FigureName, FigureTally>>, runPassed: boolean): ResilienceSummary {
  const problems: string[] = runPassed ? [] : ['a test failed'];
  let line = '';
  for (const [name, spec] of Object.entries(RESILIENCE_FIGURES) as Array<[FigureName, { text: string; zero?: true }]>) {
    const tally = tallies[name];
    const separator = line === '' ? '' : spec.zero ? ', ' : '; ';
    if (!tally || tally.declared === 0) {
      line += `${separator}${spec.text} not run`;
      if (tally && tally.observations > 0) problems.push(`${spec.text}: recorded but never declared`);
      continue;
    }
    line += `${separator}${tally.value} ${spec.text}`;
    if (spec.zero) {
      if (tally.value !== 0) problems.push(`${spec.text}: ${tally.value}, expected 0`);
      if (tally.observations !== tally.declared) problems.push(`${spec.text}: measured ${tally.observations} of ${tally.declared} times`);
    } else if (tally.value !== tally.declared) {
      problems.push(`${spec.text}: ${tally.value} of ${tally.declared} declared`);
    }
  }
  const failed = problems.length > 0;
  return { line: failed ? `resilience: FAILED (${problems.join('; ')}): ${line}` : `resilience: ${line}`, failed, problems };
}
