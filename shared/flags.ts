import { isJsonObject } from './json';
import * as v from 'valibot';

/**
 * Feature flags and rollback, as stored in Workers KV (binding `FLAGS`) and as answered by
 * `GET /api/flags`. One schema serves the worker, the ops command (`npm run flags`), the SPA
 * and the tests, so a value the ops command writes is a value the worker accepts.
 */

export const KV_KEY_ROLLBACK = 'rollback';
export const KV_KEY_FLAGS = 'flags';

/** The KV `rollback` key holds exactly `true` or `false` (whitespace around it is tolerated). */
export const RollbackValueSchema = v.pipe(
  v.string(),
  v.trim(),
  v.picklist(['true', 'false'], 'must be "true" or "false"'),
  v.transform((text) => text === 'true'),
);

const UserIdListSchema = v.optional(
  v.array(v.pipe(v.string('must be a user id string'), v.minLength(1, 'must not be empty')), 'must be an array of user ids'),
  [],
);

/** Unknown fields are kept (forward compatible: an older worker ignores what it does not know). */
export const ChatkitFlagsSchema = v.pipe(
  v.custom<Record<string, unknown>>(isJsonObject, 'must be an object'),
  v.looseObject({
    rollout_percent: v.optional(
      v.pipe(
        v.number('must be a number'),
        v.integer('must be a whole number'),
        v.minValue(0, 'must be between 0 and 100'),
        v.maxValue(100, 'must be between 0 and 100'),
      ),
      0,
    ),
    allow_users: UserIdListSchema,
    deny_users: UserIdListSchema,
  }),
);

export const FlagsDocumentSchema = v.pipe(
  v.custom<Record<string, unknown>>(isJsonObject, 'must be a JSON object'),
  v.looseObject({ chatkit: v.optional(ChatkitFlagsSchema, {}) }),
);
export type FlagsDocument = v.InferOutput<typeof FlagsDocumentSchema>;
export type FlagsDocumentInput = v.InferInput<typeof FlagsDocumentSchema>;

/** The safe default: nobody on ChatKit until ops says so. */
export const DEFAULT_FLAGS: FlagsDocument = /* @__PURE__ */ v.parse(FlagsDocumentSchema, {});

/** Parses the raw KV text of `flags`; the error message names the offending field. */
export function parseFlagsDocument(text: string): { ok: true; value: FlagsDocument } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'flags is not valid JSON' };
  }
  const result = v.safeParse(FlagsDocumentSchema, json);
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, error: describeIssues(result.issues, 'flags') };
}

export function parseRollbackValue(text: string): { ok: true; value: boolean } | { ok: false; error: string } {
  const result = v.safeParse(RollbackValueSchema, text);
  return result.success ? { ok: true, value: result.output } : { ok: false, error: describeIssues(result.issues, 'rollback') };
}

/** `chatkit.rollout_percent: must be between 0 and 100`; the field path comes first. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], root = 'value'): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? root}: ${issue.message}`).join('; ');
}

// --- Resolution -----------------------------------------------------------------------------

export type ChatVariant = 'chatkit' | 'legacy';
export type VariantReason = 'rollback' | 'not_configured' | 'denied' | 'allowed' | 'rollout' | 'not_in_rollout' | 'anonymous';

export interface FlagInputs {
  /** KV `rollback` or the `ROLLBACK_CHAT` var. */
  rollback: boolean;
  /** ChatKit can serve this deployment (hosted mode needs a key and a workflow id). */
  chatkitConfigured: boolean;
  flags: FlagsDocument;
}

export interface ResolvedVariant {
  variant: ChatVariant;
  reason: VariantReason;
}

/**
 * The contract's resolution order, first match wins. Pure: the same inputs give the same
 * answer in the worker, the ops command's `status` and the tests.
 */
export function resolveChatVariant(inputs: FlagInputs, userId: string | null): ResolvedVariant {
  if (inputs.rollback) return { variant: 'legacy', reason: 'rollback' };
  if (!inputs.chatkitConfigured) return { variant: 'legacy', reason: 'not_configured' };
  const { rollout_percent, allow_users, deny_users } = inputs.flags.chatkit;
  if (userId === null) {
    // No id, no sticky bucket: an anonymous caller only gets ChatKit once everyone does.
    return rollout_percent >= 100 ? { variant: 'chatkit', reason: 'rollout' } : { variant: 'legacy', reason: 'anonymous' };
  }
  if (deny_users.includes(userId)) return { variant: 'legacy', reason: 'denied' };
  if (allow_users.includes(userId)) return { variant: 'chatkit', reason: 'allowed' };
  return rolloutBucket(userId) < rollout_percent ? { variant: 'chatkit', reason: 'rollout' } : { variant: 'legacy', reason: 'not_in_rollout' };
}

/**
 * Sticky bucket 0..99 for a user: FNV-1a over the UTF-8 bytes of `"chatkit:" + id`, then
 * murmur3's finaliser so that ids differing only in their last characters spread evenly.
 * A user's bucket never changes, so a user inside 10% is still inside at 50%.
 */
export function rolloutBucket(userId: string): number {
  const bytes = new TextEncoder().encode(`chatkit:${userId}`);
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % 100;
}

// --- GET /api/flags -------------------------------------------------------------------------

export const ChatkitModeSchema = v.picklist(['backend', 'hosted']);
export type ChatkitMode = v.InferOutput<typeof ChatkitModeSchema>;

export const FlagsResponseSchema = v.object({
  chat: v.object({
    variant: v.picklist(['chatkit', 'legacy']),
    reason: v.picklist(['rollback', 'not_configured', 'denied', 'allowed', 'rollout', 'not_in_rollout', 'anonymous']),
  }),
  rollback: v.boolean(),
  rollout_percent: v.number(),
  chatkit: v.object({
    mode: ChatkitModeSchema,
    api_url: v.string(),
    domain_key: v.string(),
  }),
});
export type FlagsResponse = v.InferOutput<typeof FlagsResponseSchema>;
