import { readConfig } from '../config';
import { logEvent } from '../lib/log';
import { signalQueryFor } from '../signals/query';
import { runGuard } from './run-guard';

/** The Cron Trigger (`[triggers] crons` in wrangler.toml): one guard evaluation; failures are logged, never thrown. */
export async function scheduledGuard(env: Env): Promise<void> {
  try {
    const config = readConfig(env);
    const run = await runGuard(env, config, signalQueryFor(env, config));
    logEvent('info', 'rollout_guard_run', { decision: run.decision, reason: run.reason, acted: run.acted });
  } catch (error) {
    logEvent('error', 'rollout_guard_failed', { error: error instanceof Error ? error.message : String(error) });
  }
}
