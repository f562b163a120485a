/// <reference path="../provided-context.d.ts" />
import type { TestProject } from 'vitest/node';
import { startTallyServer } from './tally-server';

/**
 * Root-level global setup (vitest.config.ts `test.globalSetup`): one tally server for the whole
 * run. Vitest merges what the root project provides into every project's `inject()`, so workerd
 * tests (tests/worker) and Node tests (tests/resilience) add to the same counts. The root
 * project's teardown runs before the projects' own, so this line is printed after every test
 * file has finished.
 */
export default async function setup(project: TestProject) {
  const tally = await startTallyServer();
  project.provide('tallyUrl', tally.url);
  return async () => {
    printResilienceSummary(tally.count);
    await tally.close();
  };
}

/** The closing line of the run, from the counts the tests reported. */
function printResilienceSummary(count: (name: string) => number): void {
  console.log(
    `resilience: ${count('attacks_rejected')} attacks rejected, ${count('attacks_reached_origin')} reached origin; ` +
      `${count('smuggling_blocked')} smuggling attempts blocked, ${count('identity_leaks')} identity leaks; ` +
      `${count('faults_survived')} faults survived; ` +
      // Hardening against the origin (tests/worker/origin-*.test.ts): faults it survived, headers it dropped.
      `${count('origin_faults_survived')} origin faults survived, ${count('hostile_origin_headers_dropped')} hostile origin headers dropped; ` +
      `${count('load_requests')} requests, ${count('load_unexpected')} unexpected`,
  );
}
