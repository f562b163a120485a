import * as v from 'valibot';
import { ChatkitModeSchema, type ChatkitMode } from '../shared/flags';

/**
 * Typed configuration, parsed once per `env` object from `wrangler.toml` vars and secrets.
 * A missing or malformed value fails the first request with a message naming the variable,
 * instead of a `TypeError` deep inside a route.
 */
export interface Config {
  originUrl: string;
  originTimeoutMs: number;
  maxBodyBytes: number;
  jwt: { jwksUrl: string | null; secret: string | null; issuer: string; audience: string };
  chatkit: {
    mode: ChatkitMode;
    domainKey: string;
    openaiApiKey: string | null;
    workflowId: string | null;
    openaiBaseUrl: string | null;
  };
  upstash: { url: string; token: string } | null;
  rollbackVar: boolean;
  flagsCacheTtlMs: number;
  allowedOrigins: string[];
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

const EnvSchema = v.object({
  ORIGIN_URL: httpUrl('ORIGIN_URL'),
  ORIGIN_TIMEOUT_MS: positiveInt('ORIGIN_TIMEOUT_MS', 15_000, 300_000),
  MAX_BODY_BYTES: positiveInt('MAX_BODY_BYTES', 1_048_576, 100 * 1_048_576),
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
  UPSTASH_REDIS_REST_URL: optionalText,
  UPSTASH_REDIS_REST_TOKEN: optionalText,
  ROLLBACK_CHAT: booleanFlag('ROLLBACK_CHAT'),
  FLAGS_CACHE_TTL_SECONDS: positiveInt('FLAGS_CACHE_TTL_SECONDS', 5, 30),
  ALLOWED_ORIGINS: optionalText,
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
  if (problems.length > 0) return new ConfigError(problems);
  return {
    originUrl: e.ORIGIN_URL.replace(/\/+$/, ''),
    originTimeoutMs: e.ORIGIN_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    jwt: { jwksUrl: e.JWT_JWKS_URL ?? null, secret: e.JWT_SECRET ?? null, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    chatkit: {
      mode: e.CHATKIT_MODE,
      domainKey: e.CHATKIT_DOMAIN_KEY ?? 'domain_pk_localhost_dev',
      openaiApiKey: e.OPENAI_API_KEY ?? null,
      workflowId: e.CHATKIT_WORKFLOW_ID ?? null,
      openaiBaseUrl: e.OPENAI_BASE_URL ?? null,
    },
    upstash:
      e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
        ? { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN }
        : null,
    rollbackVar: e.ROLLBACK_CHAT,
    flagsCacheTtlMs: e.FLAGS_CACHE_TTL_SECONDS * 1000,
    allowedOrigins: (e.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  };
}

/** Hosted mode needs OpenAI credentials; backend mode needs only the origin. */
export function isChatkitConfigured(config: Config): boolean {
  return config.chatkit.mode === 'backend' || Boolean(config.chatkit.openaiApiKey && config.chatkit.workflowId);
}
