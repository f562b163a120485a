import * as v from 'valibot';
import { ChatkitModeSchema, type ChatkitMode } from '../shared/flags';
import { DEFAULT_TIMEOUT_MS, failModeSchema, rateLimitRuleSchema, type RateLimitConfig } from './rate-limit/policies';

/**
 * Typed configuration, parsed once per `env` object from `wrangler.toml` vars and secrets.
 * A missing or malformed value fails the first request with a message naming the variable,
 * instead of a `TypeError` deep inside a route.
 */
export interface Config {
  originUrl: string;
  originTimeoutMs: number;
  /** Caps and deadlines on what the worker reads from the origin (worker/lib/origin-read.ts). */
  originLimits: OriginLimits;
  maxBodyBytes: number;
  jwt: { jwksUrl: string | null; secret: string | null; issuer: string; audience: string };
  chatkit: {
    mode: ChatkitMode;
    domainKey: string;
    openaiApiKey: string | null;
    workflowId: string | null;
    openaiBaseUrl: string | null;
    /** Per-attempt deadline for OpenAI calls; past it the session route answers 504. */
    openaiTimeoutMs: number;
    /** Hosted-mode session options; `null` = not set, OpenAI's own default applies. */
    session: ChatkitSessionOptions;
  };
  upstash: { url: string; token: string } | null;
  /** `RATE_LIMIT_*` policies, time budget and fail mode (see worker/rate-limit/policies.ts). */
  rateLimits: RateLimitConfig;
  rollbackVar: boolean;
  flagsCacheTtlMs: number;
  allowedOrigins: string[];
  /** Bearer secret that unlocks `/healthz?deep=1` details; `null`: nobody gets them. */
  healthToken: string | null;
  /** Rollout signals: where they are recorded and read back (README "Operations: guarded rollout"). */
  signals: SignalsConfig;
  /** Bearer secret of the ops routes (`/api/ops/*`); null = those routes answer 404. */
  opsToken: string | null;
}

export interface OriginLimits {
  /** A stream from the origin that sends no byte for this long is ended (`ORIGIN_STREAM_IDLE_MS`). */
  streamIdleMs: number;
  /** Largest assistant answer, in UTF-8 bytes of text (`ORIGIN_MAX_ANSWER_BYTES`). */
  maxAnswerBytes: number;
  /** Largest JSON document read whole (`ORIGIN_MAX_JSON_BYTES`). */
  maxJsonBytes: number;
}

export interface SignalsConfig {
  store: 'embedded' | 'analytics_engine';
  /** Analytics Engine SQL API access (the dataset name is what `FROM` names). */
  analyticsEngine: { accountId: string; apiToken: string; dataset: string; apiBaseUrl: string } | null;
}

/** Optional `POST /chatkit/sessions` overrides (see worker/chatkit-hosted/session-params.ts). */
export interface ChatkitSessionOptions {
  ttlSeconds: number | null;
  maxRequestsPerMinute: number | null;
  historyEnabled: boolean | null;
  fileUploadEnabled: boolean | null;
  automaticTitling: boolean | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Worker misconfigured: ${problems.join('; ')}. See .dev.vars.example and README "Configuration".`);
    this.name = 'ConfigError';
  }
}

/** `""` and whitespace count as "not set", so `.dev.vars` can list every name. */
const optionalText = v.pipe(
  v.optional(v.string()),
  v.transform((text) => (text === undefined || text.trim() === '' ? null : text.trim())),
);
const httpUrl = (name: string) =>
  v.pipe(v.string(`${name} is not set`), v.trim(), v.url(`${name} must be an absolute http(s) URL`), v.regex(/^https?:\/\//, `${name} must be an http(s) URL`));
const positiveInt = (name: string, fallback: number, max: number) =>
  v.pipe(
    v.optional(v.string(), String(fallback)),
    v.transform((text) => (text.trim() === '' ? fallback : Number(text))),
    v.number(`${name} must be a number`),
    v.integer(`${name} must be a whole number`),
    v.minValue(1, `${name} must be at least 1`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );
const booleanFlag = (name: string) =>
  v.pipe(
    v.optional(v.string(), 'false'),
    v.transform((text) => text.trim().toLowerCase()),
    v.picklist(['true', 'false', ''], `${name} must be "true" or "false"`),
    v.transform((text) => text === 'true'),
  );
/** Unset or empty → `null` (use the upstream default); otherwise a whole number in [min, max]. */
const optionalInt = (name: string, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => (text.trim() === '' ? null : Number(text.trim()))),
    v.nullable(
      v.pipe(
        v.number(`${name} must be a number`),
        v.integer(`${name} must be a whole number`),
        v.minValue(min, `${name} must be at least ${min}`),
        v.maxValue(max, `${name} must be at most ${max}`),
      ),
    ),
  );
/** Unset or empty → `null` (use the upstream default); otherwise exactly "true" or "false". */
const optionalBoolean = (name: string) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((text) => text.trim().toLowerCase()),
    v.picklist(['true', 'false', ''], `${name} must be "true", "false" or empty`),
    v.transform((text) => (text === '' ? null : text === 'true')),
  );

const EnvSchema = v.object({
  ORIGIN_URL: httpUrl('ORIGIN_URL'),
  ORIGIN_TIMEOUT_MS: positiveInt('ORIGIN_TIMEOUT_MS', 15_000, 300_000),
  MAX_BODY_BYTES: positiveInt('MAX_BODY_BYTES', 1_048_576, 100 * 1_048_576),
  ORIGIN_STREAM_IDLE_MS: positiveInt('ORIGIN_STREAM_IDLE_MS', 30_000, 600_000),
  // Both are held in memory while read, in an isolate of 128 MB: hence the upper bounds.
  ORIGIN_MAX_ANSWER_BYTES: positiveInt('ORIGIN_MAX_ANSWER_BYTES', 1_048_576, 16 * 1_048_576),
  ORIGIN_MAX_JSON_BYTES: positiveInt('ORIGIN_MAX_JSON_BYTES', 4 * 1_048_576, 32 * 1_048_576),
  HEALTH_TOKEN: optionalText,
  JWT_JWKS_URL: optionalText,
  JWT_SECRET: optionalText,
  JWT_ISSUER: v.pipe(v.string('JWT_ISSUER is not set'), v.trim(), v.minLength(1, 'JWT_ISSUER is not set')),
  JWT_AUDIENCE: v.pipe(v.string('JWT_AUDIENCE is not set'), v.trim(), v.minLength(1, 'JWT_AUDIENCE is not set')),
  CHATKIT_MODE: v.pipe(
    v.optional(v.string(), 'backend'),
    v.transform((text) => text.trim() || 'backend'),
    v.picklist(ChatkitModeSchema.options, 'CHATKIT_MODE must be "backend" or "hosted"'),
  ),
  CHATKIT_DOMAIN_KEY: optionalText,
  OPENAI_API_KEY: optionalText,
  CHATKIT_WORKFLOW_ID: optionalText,
  OPENAI_BASE_URL: optionalText,
  OPENAI_TIMEOUT_MS: positiveInt('OPENAI_TIMEOUT_MS', 10_000, 60_000),
  // OpenAI's published bounds: expires_after.seconds 1..600 (10 minutes is also the default).
  CHATKIT_SESSION_TTL_SECONDS: optionalInt('CHATKIT_SESSION_TTL_SECONDS', 1, 600),
  CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE: optionalInt('CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE', 1, 10_000),
  CHATKIT_HISTORY_ENABLED: optionalBoolean('CHATKIT_HISTORY_ENABLED'),
  CHATKIT_FILE_UPLOAD_ENABLED: optionalBoolean('CHATKIT_FILE_UPLOAD_ENABLED'),
  CHATKIT_AUTOMATIC_TITLING: optionalBoolean('CHATKIT_AUTOMATIC_TITLING'),
  UPSTASH_REDIS_REST_URL: optionalText,
  UPSTASH_REDIS_REST_TOKEN: optionalText,
  RATE_LIMIT_SESSION: rateLimitRuleSchema('session'),
  RATE_LIMIT_CHAT: rateLimitRuleSchema('chat'),
  RATE_LIMIT_API: rateLimitRuleSchema('api'),
  RATE_LIMIT_AUTH: rateLimitRuleSchema('auth'),
  RATE_LIMIT_ANONYMOUS: rateLimitRuleSchema('anonymous'),
  RATE_LIMIT_TIMEOUT_MS: positiveInt('RATE_LIMIT_TIMEOUT_MS', DEFAULT_TIMEOUT_MS, 10_000),
  RATE_LIMIT_FAIL_MODE: failModeSchema,
  ROLLBACK_CHAT: booleanFlag('ROLLBACK_CHAT'),
  FLAGS_CACHE_TTL_SECONDS: positiveInt('FLAGS_CACHE_TTL_SECONDS', 5, 30),
  ALLOWED_ORIGINS: optionalText,
  SIGNALS_STORE: v.pipe(
    v.optional(v.string(), 'embedded'),
    v.transform((text) => text.trim() || 'embedded'),
    v.picklist(['embedded', 'analytics_engine'], 'SIGNALS_STORE must be "embedded" or "analytics_engine"'),
  ),
  SIGNALS_DATASET_NAME: optionalText,
  CLOUDFLARE_ACCOUNT_ID: optionalText,
  CLOUDFLARE_API_TOKEN: optionalText,
  CLOUDFLARE_API_BASE_URL: optionalText,
  OPS_TOKEN: optionalText,
});

const cache = new WeakMap<object, Config | ConfigError>();

export function readConfig(env: Env): Config {
  let entry = cache.get(env);
  if (!entry) {
    entry = parseConfig(env as unknown as Record<string, unknown>);
    cache.set(env, entry);
  }
  if (entry instanceof ConfigError) throw entry;
  return entry;
}

export function parseConfig(env: Record<string, unknown>): Config | ConfigError {
  const result = v.safeParse(EnvSchema, env);
  if (!result.success) return new ConfigError(result.issues.map((issue) => issue.message));
  const e = result.output;
  const problems: string[] = [];
  if (!e.JWT_JWKS_URL && !e.JWT_SECRET) problems.push('set JWT_JWKS_URL and/or JWT_SECRET');
  if (e.JWT_JWKS_URL && !/^https?:\/\//.test(e.JWT_JWKS_URL)) problems.push('JWT_JWKS_URL must be an http(s) URL');
  if (e.JWT_SECRET && e.JWT_SECRET.length < 32) problems.push('JWT_SECRET must be at least 32 characters');
  if (Boolean(e.UPSTASH_REDIS_REST_URL) !== Boolean(e.UPSTASH_REDIS_REST_TOKEN)) {
    problems.push('set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither');
  }
  if (e.HEALTH_TOKEN && e.HEALTH_TOKEN.length < 16) problems.push('HEALTH_TOKEN must be at least 16 characters');
  if (e.OPENAI_BASE_URL && !/^https?:\/\/[^/]/.test(e.OPENAI_BASE_URL)) problems.push('OPENAI_BASE_URL must be an http(s) URL');
  if (e.SIGNALS_STORE === 'analytics_engine' && !(e.CLOUDFLARE_ACCOUNT_ID && e.CLOUDFLARE_API_TOKEN)) {
    problems.push('SIGNALS_STORE=analytics_engine needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (to read the signals back)');
  }
  if (e.CLOUDFLARE_API_BASE_URL && !/^https?:\/\/[^/]/.test(e.CLOUDFLARE_API_BASE_URL)) problems.push('CLOUDFLARE_API_BASE_URL must be an http(s) URL');
  if (e.OPS_TOKEN && e.OPS_TOKEN.length < 32) problems.push('OPS_TOKEN must be at least 32 characters');
  if (problems.length > 0) return new ConfigError(problems);
  return {
    originUrl: e.ORIGIN_URL.replace(/\/+$/, ''),
    originTimeoutMs: e.ORIGIN_TIMEOUT_MS,
    originLimits: { streamIdleMs: e.ORIGIN_STREAM_IDLE_MS, maxAnswerBytes: e.ORIGIN_MAX_ANSWER_BYTES, maxJsonBytes: e.ORIGIN_MAX_JSON_BYTES },
    maxBodyBytes: e.MAX_BODY_BYTES,
    jwt: { jwksUrl: e.JWT_JWKS_URL ?? null, secret: e.JWT_SECRET ?? null, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    chatkit: {
      mode: e.CHATKIT_MODE,
      domainKey: e.CHATKIT_DOMAIN_KEY ?? 'domain_pk_localhost_dev',
      openaiApiKey: e.OPENAI_API_KEY ?? null,
      workflowId: e.CHATKIT_WORKFLOW_ID ?? null,
      openaiBaseUrl: e.OPENAI_BASE_URL ?? null,
      openaiTimeoutMs: e.OPENAI_TIMEOUT_MS,
      session: {
        ttlSeconds: e.CHATKIT_SESSION_TTL_SECONDS,
        maxRequestsPerMinute: e.CHATKIT_SESSION_MAX_REQUESTS_PER_MINUTE,
        historyEnabled: e.CHATKIT_HISTORY_ENABLED,
        fileUploadEnabled: e.CHATKIT_FILE_UPLOAD_ENABLED,
        automaticTitling: e.CHATKIT_AUTOMATIC_TITLING,
      },
    },
    upstash: e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN ? { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN } : null,
    rateLimits: {
      policies: {
        session: e.RATE_LIMIT_SESSION,
        chat: e.RATE_LIMIT_CHAT,
        api: e.RATE_LIMIT_API,
        auth: e.RATE_LIMIT_AUTH,
        anonymous: e.RATE_LIMIT_ANONYMOUS,
      },
      timeoutMs: e.RATE_LIMIT_TIMEOUT_MS,
      failMode: e.RATE_LIMIT_FAIL_MODE,
    },
    rollbackVar: e.ROLLBACK_CHAT,
    flagsCacheTtlMs: e.FLAGS_CACHE_TTL_SECONDS * 1000,
    allowedOrigins: (e.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    healthToken: e.HEALTH_TOKEN ?? null,
    signals: {
      store: e.SIGNALS_STORE,
      analyticsEngine:
        e.CLOUDFLARE_ACCOUNT_ID && e.CLOUDFLARE_API_TOKEN
          ? {
              accountId: e.CLOUDFLARE_ACCOUNT_ID,
              apiToken: e.CLOUDFLARE_API_TOKEN,
              dataset: e.SIGNALS_DATASET_NAME ?? 'calm_orbit_signals',
              apiBaseUrl: (e.CLOUDFLARE_API_BASE_URL ?? 'https://api.cloudflare.com/client/v4').replace(/\/+$/, ''),
            }
          : null,
    },
    opsToken: e.OPS_TOKEN ?? null,
  };
}

/** Hosted mode needs OpenAI credentials; backend mode needs only the origin. */
export function isChatkitConfigured(config: Config): boolean {
  return config.chatkit.mode === 'backend' || Boolean(config.chatkit.openaiApiKey && config.chatkit.workflowId);
}
