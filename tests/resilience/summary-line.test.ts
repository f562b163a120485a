import { describe, expect, it } from 'vitest';
import { summarizeResilience, type FigureName, type FigureTally } from '../setup/resilience-figures';
import { startTallyServer } from '../setup/tally-server';

/** The closing `resilience: …` line is test infrastructure that decides a run's verdict: its own tests. */

const complete: Record<FigureName, FigureTally> = {
  attacks_rejected: { declared: 41, value: 41, observations: 41 },
  attacks_reached_origin: { declared: 41, value: 0, observations: 41 },
  smuggling_blocked: { declared: 85, value: 85, observations: 85 },
  identity_leaks: { declared: 65, value: 0, observations: 65 },
  faults_survived: { declared: 38, value: 38, observations: 38 },
  origin_faults_survived: { declared: 17, value: 17, observations: 17 },
  hostile_origin_headers_dropped: { declared: 63, value: 63, observations: 49 },
  load_requests: { declared: 10_000, value: 10_000, observations: 1 },
  load_unexpected: { declared: 1, value: 0, observations: 1 },
};

describe('summarizeResilience', () => {
  it('prints every figure in order when all add up and the run passed', () => {
    expect(summarizeResilience(complete, true)).toEqual({
      line: 'resilience: 41 attacks rejected, 0 reached origin; 85 smuggling attempts blocked, 0 identity leaks; 38 faults survived; 17 origin faults survived; 63 hostile origin headers dropped; 10000 requests, 0 unexpected',
      failed: false,
      problems: [],
    });
  });

  it('says FAILED when a test failed, even if every count adds up', () => {
    const summary = summarizeResilience(complete, false);
    expect(summary.failed).toBe(true);
    expect(summary.line).toMatch(/^resilience: FAILED \(a test failed\): 41 attacks rejected/);
  });

  it('says FAILED when a count is short of its declared total', () => {
    const summary = summarizeResilience({ ...complete, smuggling_blocked: { declared: 85, value: 81, observations: 81 } }, true);
    expect(summary.failed).toBe(true);
    expect(summary.problems).toEqual(['smuggling attempts blocked: 81 of 85 declared']);
    expect(summary.line).toContain('; 81 smuggling attempts blocked,');
  });

  it('says FAILED when a measurement saw something, or was not made as often as declared', () => {
    const reached = summarizeResilience({ ...complete, attacks_reached_origin: { declared: 41, value: 1, observations: 41 } }, true);
    expect(reached.problems).toEqual(['reached origin: 1, expected 0']);
    expect(reached.line).toContain('41 attacks rejected, 1 reached origin;');
    const unmeasured = summarizeResilience({ ...complete, identity_leaks: { declared: 65, value: 0, observations: 60 } }, true);
    expect(unmeasured.problems).toEqual(['identity leaks: measured 60 of 65 times']);
  });

  it('marks figures whose files did not run, without failing a partial run for them', () => {
    const summary = summarizeResilience({ attacks_rejected: complete.attacks_rejected, attacks_reached_origin: complete.attacks_reached_origin }, true);
    expect(summary).toEqual({
      line: 'resilience: 41 attacks rejected, 0 reached origin; smuggling attempts blocked not run, identity leaks not run; faults survived not run; origin faults survived not run; hostile origin headers dropped not run; requests not run, unexpected not run',
      failed: false,
      problems: [],
    });
  });
});

describe('tally server', () => {
  it('adds declarations and recordings per figure, and refuses what it cannot store', async () => {
    const tally = await startTallyServer();
    const post = (path: string, body: unknown) => fetch(`${tally.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    try {
      expect((await post('/declare', { figure: 'faults_survived', total: 3 })).status).toBe(200);
      expect((await post('/declare', { figure: 'faults_survived', total: 2 })).status).toBe(200);
      expect((await post('/record', { figure: 'faults_survived', value: 1 })).status).toBe(200);
      expect((await post('/record', { figure: 'faults_survived', value: 1 })).status).toBe(200);
      expect(tally.tallies()).toEqual({ faults_survived: { declared: 5, value: 2, observations: 2 } });

      expect((await post('/record', { figure: 'faults_survivd', value: 1 })).status).toBe(400);
      expect((await post('/record', { figure: 'faults_survived', value: -1 })).status).toBe(400);
      expect((await post('/record', { figure: 'faults_survived' })).status).toBe(400);
      expect((await post('/declare', { figure: 'faults_survived' })).status).toBe(400);
      expect((await fetch(`${tally.url}/add`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect(tally.tallies()).toEqual({ faults_survived: { declared: 5, value: 2, observations: 2 } });
    } finally {
      await tally.close();
    }
  });
});
