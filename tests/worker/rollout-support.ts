import { env } from 'cloudflare:workers';
import { signUpAndGetToken } from '../../origin/client';
import { DurableObjectSignalQuery } from '../../worker/signals/query';

/** Shared by the rollout tests (signals, telemetry, guard, Analytics Engine). */

export interface User {
  token: string;
  userId: string;
}

/** `count` fresh users of the reference origin, with their access tokens. */
export function signUpUsers(count: number): Promise<User[]> {
  return Promise.all(Array.from({ length: count }, () => signUpAndGetToken(env.ORIGIN_URL)));
}

/**
 * Writes the `flags` document: `chatkit` users allow-listed, `legacy` users deny-listed, everyone
 * else by `rolloutPercent`. Do it before the file's first request: the isolate caches flags for a
 * few seconds, and KV is per test file.
 */
export function pinVariants(rolloutPercent: number, { chatkit, legacy }: { chatkit: User[]; legacy: User[] }): Promise<void> {
  const ids = (users: User[]) => users.map((user) => user.userId);
  return env.FLAGS.put('flags', JSON.stringify({ chatkit: { rollout_percent: rolloutPercent, allow_users: ids(chatkit), deny_users: ids(legacy) } }));
}

const query = new DurableObjectSignalQuery(env);

/** Every signal counter so far, keyed `variant kind label`. */
async function counters(): Promise<Map<string, number>> {
  const rows = await query.counters(0, Date.now() + 60_000, 365 * 24 * 3_600_000);
  return new Map(rows.map((row) => [`${row.variant} ${row.kind} ${row.label}`, row.count]));
}

/** Runs `action`, then answers what the signal counters gained (zero entries left out). */
export async function countersGained(action: () => Promise<void>): Promise<Record<string, number>> {
  const before = await counters();
  await action();
  const diff: Record<string, number> = {};
  for (const [key, count] of await counters()) if (count !== (before.get(key) ?? 0)) diff[key] = count - (before.get(key) ?? 0);
  return diff;
}
