/// <reference path="../provided-context.d.ts" />
import type { Reporter, TestRunEndReason, Vitest } from 'vitest/node';
import { summarizeResilience } from './resilience-figures';
import { startTallyServer } from './tally-server';

/**
 * Owns the run's tally server and prints the closing `resilience: …` line (vitest.config.ts
 * `reporters`). A reporter, not a global setup, because only a reporter learns whether the run
 * passed: the line says FAILED, and the run exits non-zero, when a test failed, a count is short
 * of its declared total, or a measurement saw something (tests/setup/resilience-figures.ts).
 * What the root provides reaches every project's `inject()`, workerd tests included.
 */
export default class ResilienceReporter implements Reporter {
  private vitest!: Vitest;
  private tally!: Awaited<ReturnType<typeof startTallyServer>>;

  async onInit(vitest: Vitest): Promise<void> {
    this.vitest = vitest;
    this.tally = await startTallyServer();
    vitest.provide('tallyUrl', this.tally.url);
  }

  async onTestRunEnd(_modules: unknown, _errors: unknown, reason: TestRunEndReason): Promise<void> {
    const summary = summarizeResilience(this.tally.tallies(), reason === 'passed');
    this.vitest.logger.log(summary.line);
    if (summary.failed) process.exitCode = 1;
    if (!this.vitest.config.watch) await this.tally.close();
  }
}
