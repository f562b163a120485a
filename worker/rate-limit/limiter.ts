import type { PolicyName, RateLimitRule } from './policies';
import type { WindowVerdict } from './sliding-window';

/**
 * The seam between the middleware and a rate-limit backend (Upstash Redis or the embedded
 * Durable Object). A backend only counts and reports; the fail mode, headers and errors are
 * the middleware's business, so both backends behave identically at the HTTP level.
 */
export interface LimitRequest {
  policy: PolicyName;
  rule: RateLimitRule;
  /** `user:<sub>` or `ip:<address>`: never a raw token. */
  key: string;
  /** The time budget; past it the answer is `unavailable`. */
  timeoutMs: number;
}

export type LimitOutcome =
  | {
      kind: 'decided';
      verdict: WindowVerdict;
      /** Background work the backend still has to finish (hand it to `waitUntil`). */
      pending?: Promise<unknown>;
    }
  | {
      kind: 'unavailable';
      /** `timeout`: no answer within `timeoutMs`; `error`: the backend failed (network, 5xx, …). */
      reason: 'timeout' | 'error';
      /** Safe to log: an error message, never a credential. */
      detail: string;
    };

export type LimiterBackend = 'upstash' | 'durable-object';

export interface LimiterHealth {
  status: 'ok' | 'down';
  backend: LimiterBackend;
  latency_ms: number;
  error?: string;
}

export interface RateLimiter {
  readonly backend: LimiterBackend;
  /** Counts one request for `key` under `policy`. Never throws: failures are `unavailable`. */
  limit(request: LimitRequest): Promise<LimitOutcome>;
  /** A cheap round trip to the backend, for `/healthz?deep=1`. Never throws. */
  check(timeoutMs: number): Promise<LimiterHealth>;
}

export function errorDetail(err: unknown): string {
  // Upstash errors echo the failed command, keys (user ids, IPs) included: keep only the cause.
  const message = err instanceof Error ? (err.message.split(', command was:')[0] ?? err.message) : String(err);
  const text = err instanceof Error ? `${err.name}: ${message}` : message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
