/// <reference path="../provided-context.d.ts" />
import type { TestProject } from 'vitest/node';
import { startFakeOpenAI } from '../fakes/openai-chatkit';
import { startTestIssuer } from '../fakes/test-issuer';
import { startUpstashStack } from '../fakes/upstash-control';
import { startOrigin } from '../origin/server';
import { startTallyServer } from './tally-server';

/**
 * Real Node peers for the worker tests, started once per `npm test` run. Tests inside workerd
 * reach them over loopback by the URLs provided here (`inject('originUrl')` etc.).
 */
export default async function setup(project: TestProject) {
  const [origin, openai, issuer, tally, upstash] = await Promise.all([
    startOrigin({ testRoutes: true, chunkDelayMs: 20 }),
    startFakeOpenAI(),
    startTestIssuer(),
    startTallyServer(),
    startUpstashStack(),
  ]);
  project.provide('upstashUrl', upstash.url);
  project.provide('upstashToken', upstash.token);
  project.provide('upstashControlUrl', upstash.controlUrl);
  project.provide('tallyUrl', tally.url);
  project.provide('originUrl', origin.url);
  project.provide('openaiUrl', openai.url);
  project.provide('openaiApiKey', openai.apiKey);
  project.provide('issuerUrl', issuer.url);
  project.provide('issuerAudience', issuer.audience);

  return async () => {
    printResilienceSummary(tally.count);
    await Promise.allSettled([origin.close(), openai.close(), issuer.close(), tally.close(), upstash.close()]);
  };
}

/** The closing line of the worker suite, from the counts the tests reported. */
function printResilienceSummary(count: (name: string) => number): void {
  console.log(
    `resilience: ${count('attacks_rejected')} attacks rejected, ${count('attacks_reached_origin')} reached origin; ` +
      `${count('smuggling_blocked')} smuggling attempts blocked, ${count('identity_leaks')} identity leaks; ` +
      `${count('faults_survived')} faults survived; ${count('load_requests')} requests, ${count('load_unexpected')} unexpected`,
  );
}
