import * as v from 'valibot';

/**
 * The rate-limit policies and how their limits are configured. Each policy is one var,
 * `RATE_LIMIT_<POLICY>="<requests>/<seconds>"`, e.g. `RATE_LIMIT_CHAT="20/60"` = 20 requests
 * per sliding 60-second window.
 */
export const POLICY_NAMES = ['session', 'chat', 'api', 'auth', 'anonymous'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/**
 * Defaults when a var is unset or empty. `session` and `chat` are per user and guard the
 * expensive paths (OpenAI sessions, model calls); `api` is every `/api/v1/*` call of a user;
 * `auth` and `anonymous` are per client IP, since there is no user yet.
 */
export const DEFAULT_RULES: Readonly<Record<PolicyName, RateLimitRule>> = {
  session: { limit: 10, windowMs: 60_000 },
  chat: { limit: 20, windowMs: 60_000 },
  api: { limit: 120, windowMs: 60_000 },
  auth: { limit: 30, windowMs: 60_000 },
  anonymous: { limit: 60, windowMs: 60_000 },
};

/** The var that configures each policy. */
export const POLICY_VARS = {
  session: 'RATE_LIMIT_SESSION',
  chat: 'RATE_LIMIT_CHAT',
  api: 'RATE_LIMIT_API',
  auth: 'RATE_LIMIT_AUTH',
  anonymous: 'RATE_LIMIT_ANONYMOUS',
} as const satisfies Record<PolicyName, string>;

/**
 * What happens when the limiter cannot answer in time (Upstash down or slow, Durable Object
 * overloaded): `open` lets the request through and logs it (availability first, the default);
 * `closed` refuses it with 429 `rate_limited` (protection first).
 */
export const FAIL_MODES = ['open', 'closed'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

export interface RateLimitConfig {
  policies: Record<PolicyName, RateLimitRule>;
  /** How long a limiter answer may take before the fail mode applies. */
  timeoutMs: number;
  failMode: FailMode;
}

export const DEFAULT_TIMEOUT_MS = 1_000;
const MAX_LIMIT = 1_000_000;
const MAX_WINDOW_SECONDS = 86_400;
const RULE_FORMAT = /^(\d+)\s*\/\s*(\d+)$/;

/** `"<requests>/<seconds>"` → a rule, or null when the text does not fit the format or bounds. */
export function parseRule(text: string): RateLimitRule | null {
  const match = RULE_FORMAT.exec(text.trim());
  if (!match) return null;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (limit < 1 || limit > MAX_LIMIT || windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) return null;
  return { limit, windowMs: windowSeconds * 1000 };
}

/** A valibot schema for one `RATE_LIMIT_*` var: unset or empty means the default. */
export function rateLimitRuleSchema(policy: PolicyName) {
  const name = POLICY_VARS[policy];
  const fallback = DEFAULT_RULES[policy];
  const message = `${name} must look like "<requests>/<seconds>", e.g. "${fallback.limit}/${fallback.windowMs / 1000}" (1-${MAX_LIMIT} requests, 1-${MAX_WINDOW_SECONDS} s)`;
  return v.pipe(
    v.optional(v.string(), ''),
    v.rawTransform<string, RateLimitRule>(({ dataset, addIssue, NEVER }) => {
      if (dataset.value.trim() === '') return fallback;
      const rule = parseRule(dataset.value);
      if (rule) return rule;
      addIssue({ message });
      return NEVER;
    }),
  );
}

export const failModeSchema = v.pipe(
  v.optional(v.string(), 'open'),
  v.transform((text) => text.trim().toLowerCase() || 'open'),
  v.picklist(FAIL_MODES, 'RATE_LIMIT_FAIL_MODE must be "open" or "closed"'),
);
