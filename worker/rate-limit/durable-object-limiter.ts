import { limiterObjectName, type RateLimiterObject } from './durable-object';
import { TIMED_OUT, withinTime } from '../lib/within-time';
import { errorDetail, type LimiterHealth, type LimitOutcome, type LimitRequest, type RateLimiter } from './limiter';

/** Objects answering `/healthz?deep=1`; never used for counting. */
const HEALTH_PROBE_NAME = 'health:probe';

/**
 * The embedded backend without leases, one call per request (the bench's micro-benchmark of a
 * single count) and the health check: the `RATE_LIMITER` namespace, objects named as
 * `RateLimiterObject` says. The same time budget as Upstash applies, so an overloaded object
 * falls under the fail mode too.
 */
export class DurableObjectRateLimiter implements RateLimiter {
  readonly backend = 'durable-object';

  constructor(private readonly namespace: DurableObjectNamespace<RateLimiterObject>) {}

  async limit({ policy, rule, key, timeoutMs }: LimitRequest): Promise<LimitOutcome> {
    try {
      const stub = this.namespace.get(this.namespace.idFromName(limiterObjectName(policy, key)));
      const verdict = await withinTime(stub.limit(rule.limit, rule.windowMs, key), timeoutMs);
      if (verdict === TIMED_OUT) return { kind: 'unavailable', reason: 'timeout', detail: `no answer within ${timeoutMs} ms` };
      return { kind: 'decided', verdict };
    } catch (err) {
      return { kind: 'unavailable', reason: 'error', detail: errorDetail(err) };
    }
  }

  async check(timeoutMs: number): Promise<LimiterHealth> {
    const started = Date.now();
    try {
      const stub = this.namespace.get(this.namespace.idFromName(HEALTH_PROBE_NAME));
      const answer = await withinTime(stub.ping(), timeoutMs);
      const latency_ms = Date.now() - started;
      if (answer === TIMED_OUT) return { status: 'down', backend: this.backend, latency_ms, error: `no answer within ${timeoutMs} ms` };
      return { status: 'ok', backend: this.backend, latency_ms };
    } catch (err) {
      return { status: 'down', backend: this.backend, latency_ms: Date.now() - started, error: errorDetail(err) };
    }
  }
}
