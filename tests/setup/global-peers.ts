/// <reference path="../provided-context.d.ts" />
import type { TestProject } from 'vitest/node';
import { startFakeAnalyticsEngine } from '../fakes/analytics-engine-sql';
import { startFakeOpenAI } from '../fakes/openai-chatkit';
import { startHostileOrigin } from '../fakes/hostile-origin';
import { startTestIssuer } from '../fakes/test-issuer';
import { startUpstashStack } from '../fakes/upstash-control';
import { startOrigin } from '../../origin/server';

/**
 * Real Node peers for the worker tests, started once per `npm test` run. Tests inside workerd
 * reach them over loopback by the URLs provided here (`inject('originUrl')` etc.).
 */
export default async function setup(project: TestProject) {
  const [origin, openai, issuer, upstash, hostile, analyticsEngine] = await Promise.all([
    startOrigin({ testRoutes: true, chunkDelayMs: 20, devFaults: true }),
    startFakeOpenAI(),
    startTestIssuer(),
    startUpstashStack(),
    startHostileOrigin(),
    startFakeAnalyticsEngine(),
  ]);
  project.provide('analyticsEngineUrl', analyticsEngine.url);
  project.provide('analyticsEngineAccountId', analyticsEngine.accountId);
  project.provide('analyticsEngineToken', analyticsEngine.apiToken);
  project.provide('upstashUrl', upstash.url);
  project.provide('upstashToken', upstash.token);
  project.provide('upstashControlUrl', upstash.controlUrl);
  project.provide('originUrl', origin.url);
  project.provide('openaiUrl', openai.url);
  project.provide('openaiApiKey', openai.apiKey);
  project.provide('issuerUrl', issuer.url);
  project.provide('issuerAudience', issuer.audience);
  project.provide('hostileOriginUrl', hostile.url);

  // `tallyUrl` and the closing `resilience: …` line come from tests/setup/resilience-reporter.ts.
  return async () => {
    await Promise.allSettled([origin.close(), openai.close(), issuer.close(), upstash.close(), hostile.close(), analyticsEngine.close()]);
  };
}
