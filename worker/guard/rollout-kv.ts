import {
  AuditLogSchema,
  appendAudit,
  GuardStateSchema,
  KV_KEY_AUDIT,
  KV_KEY_GUARD_STATE,
  KV_KEY_PLAN,
  parseJsonWith,
  RolloutPlanSchema,
  type AuditEntry,
  type GuardState,
  type RolloutPlan,
} from '../../shared/rollout';
import { DEFAULT_FLAGS, KV_KEY_FLAGS, KV_KEY_ROLLBACK, parseFlagsDocument, parseRollbackValue, type FlagsDocument } from '../../shared/flags';

/**
 * The guard's reads and writes of Workers KV (keys in README "Operations: guarded rollout"). The
 * guard reads KV directly, not through the isolate's flag cache: it acts on the stored truth.
 */
export interface RolloutKvState {
  plan: RolloutPlan | null;
  state: GuardState | null;
  rollback: boolean;
  flags: FlagsDocument;
}

export async function readRolloutKv(kv: KVNamespace): Promise<RolloutKvState> {
  const [plan, state, rollback, flags] = await Promise.all([kv.get(KV_KEY_PLAN), kv.get(KV_KEY_GUARD_STATE), kv.get(KV_KEY_ROLLBACK), kv.get(KV_KEY_FLAGS)]);
  const parsedRollback = rollback === null ? null : parseRollbackValue(rollback);
  const parsedFlags = flags === null ? null : parseFlagsDocument(flags);
  return {
    plan: parseJsonWith(RolloutPlanSchema, plan),
    state: parseJsonWith(GuardStateSchema, state),
    // A malformed rollback value reads as "on": the worker keeps its last good value, and the
    // guard must not push a rollout forward while the kill switch is in doubt.
    rollback: parsedRollback === null ? false : parsedRollback.ok ? parsedRollback.value : true,
    flags: parsedFlags?.ok ? parsedFlags.value : DEFAULT_FLAGS,
  };
}

/** Appends to the bounded audit trail (a malformed stored trail is started afresh). */
export async function appendAuditEntry(kv: KVNamespace, entry: AuditEntry): Promise<void> {
  const log = parseJsonWith(AuditLogSchema, await kv.get(KV_KEY_AUDIT)) ?? [];
  await kv.put(KV_KEY_AUDIT, JSON.stringify(appendAudit(log, entry)));
}
