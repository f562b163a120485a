import { execFileSync } from 'node:child_process';
import { AuditLogSchema, appendAudit, KV_KEY_AUDIT, parseJsonWith, type AuditEntry } from '../../shared/rollout';
import type { WranglerKv } from './wrangler-kv';

export { KV_KEY_AUDIT };

/** Who is running the ops command: git's user.name, else $USER, else "unknown". */
export function operatorName(cwd: string): string {
  try {
    const name = execFileSync('git', ['config', 'user.name'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (name) return name;
  } catch {
    // no git, or no name configured
  }
  return process.env.USER?.trim() || process.env.USERNAME?.trim() || 'unknown';
}

export function parseAudit(raw: string | null): AuditEntry[] {
  return parseJsonWith(AuditLogSchema, raw) ?? [];
}

/**
 * Writes `changes` and the audit trail with one more entry, in one wrangler call; `rawAudit` is
 * the trail as read together with the values being changed (the guard appends to the same key).
 */
export async function writeWithAudit(kv: WranglerKv, changes: Record<string, string>, rawAudit: string | null, entry: Omit<AuditEntry, 'time'>): Promise<void> {
  const log = appendAudit(parseAudit(rawAudit), { time: new Date().toISOString(), ...entry });
  await kv.putMany({ ...changes, [KV_KEY_AUDIT]: JSON.stringify(log) });
}

const brief = (value: unknown) => (value === undefined || value === null ? '—' : JSON.stringify(value));

/** One line per entry, newest last. */
export function formatHistory(entries: readonly AuditEntry[]): string[] {
  if (entries.length === 0) return ['(no changes recorded yet)'];
  return entries.map((entry) => {
    const line = `${entry.time}  ${entry.actor.padEnd(12)}  ${entry.action.padEnd(16)}  ${brief(entry.before)} → ${brief(entry.after)}`;
    return entry.reason ? `${line}\n    ${entry.reason}` : line;
  });
}
