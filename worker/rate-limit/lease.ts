import { limiterObjectName, type LeaseAsk, type RateLimiterObject } from './durable-object';
import { DurableObjectRateLimiter } from './durable-object-limiter';
import { TIMED_OUT, withinTime } from '../lib/within-time';
import { errorDetail, type LimiterHealth, type LimitOutcome, type LimitRequest, type RateLimiter } from './limiter';
import { consumeSlidingWindow, slideWindow, type WindowCounts, type WindowVerdict } from './sliding-window';

/**
 * Rate-limit leases: one Durable Object call reserves a small batch of requests that this isolate
 * then spends locally, for at most `LEASE_MS`, instead of one call per request (README "Rate
 * limiting"). The object counts the whole batch when it grants it, so the limit is never
 * exceeded, whatever the number of isolates; what an isolate did not spend it hands back on its
 * next call for that key, so the limit is also reached: with a limit of N, N requests get through.
 *
 * Batches only form where they are safe and useful:
 * - a lease grows only while this isolate spends it before it expires (steady traffic from one
 *   caller); a caller with no live lease asks for `LEASE_FIRST`, and what it did not spend in time
 *   goes back with its next call;
 * - a grant is at most 1/`GRANT_SHARE` of what is left in the window, so near the limit every
 *   request is counted by the object one by one and the boundary is exact.
 *
 * Renewals ride along: a call to an object also renews the leases of this isolate's other callers
 * of that object who were active within the last second and whose lease is spent or about to end
 * (`LeaseBook.takeAhead`), so a user who keeps using the app finds a lease ready and needs no call
 * of their own. A renewed lease hands back what it still held, under the same cap and expiry.
 */

/** How long an isolate may spend a lease. */
export const LEASE_MS = 1_000;
/** The largest batch one call reserves. */
export const LEASE_MAX = 16;
/**
 * What a caller with no live lease asks for: its own request and the next one, which comes
 * within the second for anyone using the app (a page load makes several calls).
 */
export const LEASE_FIRST = 2;
/** A grant never exceeds this fraction of what is left: leases vanish near the boundary. */
export const GRANT_SHARE = 8;
/** Keys an isolate keeps lease records for; past it, expired records are dropped. */
const MAX_KEYS = 10_000;

/** Slots of an expired lease handed back: counted in the window that started at `windowStart`. */
export interface LeaseReturn {
  windowStart: number;
  unused: number;
}

export interface LeaseGrant {
  /** The verdict for the request that asked (its slot is the first of the batch). */
  verdict: WindowVerdict;
  /** Slots counted for this isolate, the asking request's included (0 when refused). */
  granted: number;
  /** What the object has left once the whole batch is counted. */
  left: number;
  windowStart: number;
}

/**
 * The object's side (synchronous, so it stays atomic): takes back unspent slots, then counts the
 * asking request with the usual sliding window and, if it is allowed, up to `want - 1` more. An
 * `ahead` ask (a renewal for a caller who is not asking right now, see `LeaseBook.takeAhead`)
 * counts no request of its own and reserves up to `want` slots, under the same cap.
 */
export function grantLease(
  counts: WindowCounts,
  limit: number,
  windowMs: number,
  want: number,
  returned: readonly LeaseReturn[],
  now: number,
  ahead = false,
): LeaseGrant {
  const asked = Number.isInteger(want) && want > 1 ? want : 1;
  for (const { windowStart, unused } of returned) {
    if (!Number.isInteger(unused) || unused <= 0) continue;
    // Slots still in the current or the previous window come back; older ones have slid out.
    if (windowStart === counts.windowStart) counts.current = Math.max(0, counts.current - unused);
    else if (windowStart === counts.windowStart - windowMs) counts.previous = Math.max(0, counts.previous - unused);
  }
  if (ahead) {
    const { used, reset } = slideWindow(counts, windowMs, now);
    const remaining = Math.max(0, limit - used);
    // The same cap as a grant to an asking request: at most 1/GRANT_SHARE of what is left.
    const granted = Math.max(0, Math.min(asked, LEASE_MAX, Math.floor(remaining / GRANT_SHARE)));
    counts.current += granted;
    const left = remaining - granted;
    return { verdict: { success: granted > 0, limit, remaining: left, reset }, granted, left, windowStart: counts.windowStart };
  }
  const verdict = consumeSlidingWindow(counts, limit, windowMs, now);
  if (!verdict.success) return { verdict, granted: 0, left: 0, windowStart: counts.windowStart };
  const extra = Math.max(0, Math.min(asked - 1, LEASE_MAX - 1, Math.floor((verdict.remaining + 1) / GRANT_SHARE) - 1, verdict.remaining));
  counts.current += extra;
  return { verdict, granted: 1 + extra, left: verdict.remaining - extra, windowStart: counts.windowStart };
}

/** Where a lease comes from, so the book can renew it without its caller: the object and the ask. */
export interface LeaseTarget {
  object: string;
  key: string;
  limit: number;
  windowMs: number;
}

/** A renewal sent ahead with another caller's call (`LeaseBook.takeAhead`). */
export interface AheadAsk {
  name: string;
  target: LeaseTarget;
  ask: LeaseAsk;
}

/** At most this many renewals ride along with one call. */
export const AHEAD_PER_CALL = 32;
/** A live lease this close to its end is renewed with the next call to its object. */
export const RENEW_WITHIN_MS = 300;

interface Lease {
  limit: number;
  reset: number;
  windowStart: number;
  expiresAt: number;
  granted: number;
  /** Slots not yet spent. */
  unused: number;
  /** What the object had left after its last grant to this isolate. */
  left: number;
  target: LeaseTarget;
}

/** A caller seen lately: their lease is renewed ahead of their next request (`takeAhead`). */
interface Renewal {
  target: LeaseTarget;
  seenAt: number;
}

/** The isolate's side: the leases it holds, one per policy, key and rule. */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private readonly returns = new Map<string, LeaseReturn[]>();
  /** By object: callers active within the last `LEASE_MS`, to renew with calls to it. */
  private readonly renewals = new Map<string, Map<string, Renewal>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A local verdict from a live lease, or null: then ask the object with `want` and `returned`. */
  spend(name: string): WindowVerdict | null {
    const lease = this.leases.get(name);
    const now = this.now();
    if (!lease || lease.unused === 0 || now >= lease.expiresAt) return null;
    lease.unused -= 1;
    this.noteActive(name, lease.target, now);
    // As if the object had counted this request alone: what it has left plus what we still hold.
    return { success: true, limit: lease.limit, remaining: lease.left + lease.unused, reset: lease.reset };
  }

  /** How many slots to ask for, and the unspent ones to hand back; expired leases end here. */
  prepare(name: string): { want: number; returned: LeaseReturn[] } {
    const lease = this.leases.get(name);
    if (!lease) return { want: LEASE_FIRST, returned: this.handBack(name) };
    // spend() found nothing to spend: a live lease is used up, and was spent in time: ask for more.
    if (this.now() < lease.expiresAt) return { want: Math.min(LEASE_MAX, lease.granted * 2), returned: this.handBack(name) };
    return { want: Math.max(LEASE_FIRST, lease.granted - lease.unused), returned: this.handBack(name, lease) };
  }

  /** The slots to hand back for `name`: those kept for later and, if `ending` is given, its unspent ones (it ends here). */
  private handBack(name: string, ending?: Lease): LeaseReturn[] {
    const returned = this.returns.get(name) ?? [];
    this.returns.delete(name);
    if (ending) {
      this.leases.delete(name);
      if (ending.unused > 0) returned.push({ windowStart: ending.windowStart, unused: ending.unused });
    }
    return returned;
  }

  /** Unspent slots to hand back with the next call for `name`. */
  keepForLater(name: string, returned: LeaseReturn[]): void {
    if (returned.length) this.returns.set(name, [...(this.returns.get(name) ?? []), ...returned]);
  }

  /** Records a grant; returns the verdict the asking request shows. */
  record(name: string, grant: LeaseGrant, target: LeaseTarget): WindowVerdict {
    const { verdict } = grant;
    if (!verdict.success) return verdict;
    const merged = this.hold(name, grant, target, grant.granted - 1);
    this.noteActive(name, target, this.now());
    return merged ? { ...verdict, remaining: merged.left + merged.unused } : verdict;
  }

  /** Records a grant made ahead (`takeAhead`): every slot is there to spend. */
  recordAhead(ahead: AheadAsk, grant: LeaseGrant): void {
    if (grant.granted > 0) this.hold(ahead.name, grant, ahead.target, grant.granted);
  }

  /**
   * Renewals to send with a call to `object`, at most `max`: for callers active within the last
   * `LEASE_MS` (not in the call already) whose lease is spent, gone, or ends within
   * `RENEW_WITHIN_MS`. A lease renewed early is handed back whole (it can no longer be spent),
   * so nothing is counted twice; the new one starts its own second.
   */
  takeAhead(object: string, inCall: ReadonlySet<string>, max: number): AheadAsk[] {
    const active = this.renewals.get(object);
    if (!active) return [];
    const now = this.now();
    const asks: AheadAsk[] = [];
    let looked = 0;
    for (const [name, renewal] of active) {
      if (asks.length >= max || looked++ >= max * 4) break;
      const { target, seenAt } = renewal;
      if (now - seenAt >= LEASE_MS) {
        active.delete(name);
        continue;
      }
      const lease = this.leases.get(name);
      const due = !lease || lease.unused === 0 || lease.expiresAt - now <= RENEW_WITHIN_MS;
      active.delete(name);
      if (!due || inCall.has(name)) {
        // To the back: the next call looks at the others first, so a busy front starves nobody.
        active.set(name, renewal);
        continue;
      }
      const returned = this.handBack(name, lease);
      // About as many requests come in the next second as the last lease covered.
      const want = Math.max(LEASE_FIRST, Math.min(LEASE_MAX, lease?.granted ?? LEASE_FIRST));
      asks.push({ name, target, ask: { key: target.key, limit: target.limit, windowMs: target.windowMs, want, returned, ahead: true } });
    }
    if (active.size === 0) this.renewals.delete(object);
    return asks;
  }

  /** Keeps a grant as the caller's lease (merged into a live one); returns the merged lease, or null. */
  private hold(name: string, grant: LeaseGrant, target: LeaseTarget, unused: number): Lease | null {
    const now = this.now();
    const expiresAt = Math.min(now + LEASE_MS, grant.verdict.reset);
    const existing = this.leases.get(name);
    if (existing && existing.unused > 0 && existing.windowStart === grant.windowStart && now < existing.expiresAt) {
      // A concurrent call's lease is still live: one lease, the object's newest count.
      existing.unused += unused;
      existing.granted += grant.granted;
      existing.left = grant.left;
      existing.expiresAt = Math.min(existing.expiresAt, expiresAt);
      return existing;
    }
    if (existing && existing.unused > 0) this.keepForLater(name, [{ windowStart: existing.windowStart, unused: existing.unused }]);
    if (this.leases.size >= MAX_KEYS) this.sweep(now);
    this.leases.set(name, {
      limit: grant.verdict.limit,
      reset: grant.verdict.reset,
      windowStart: grant.windowStart,
      expiresAt,
      granted: grant.granted,
      unused,
      left: grant.left,
      target,
    });
    return null;
  }

  /** Notes that `name`'s caller was active now, so its lease is renewed ahead when due. */
  private noteActive(name: string, target: LeaseTarget, now: number): void {
    let active = this.renewals.get(target.object);
    if (!active) {
      active = new Map();
      this.renewals.set(target.object, active);
    }
    const known = active.get(name);
    if (known) known.seenAt = now;
    else active.set(name, { target, seenAt: now });
  }

  private sweep(now: number): void {
    // Unspent slots of dropped leases stay counted: the window ends a little stricter, never looser.
    for (const [name, lease] of this.leases) if (now >= lease.expiresAt) this.leases.delete(name);
    for (const [object, pending] of this.renewals) {
      for (const [name, { seenAt }] of pending) if (now - seenAt >= LEASE_MS) pending.delete(name);
      if (pending.size === 0) this.renewals.delete(object);
    }
    for (const name of [...this.returns.keys()].slice(0, Math.max(0, this.returns.size - MAX_KEYS))) this.returns.delete(name);
  }
}

/** The isolate's lease book: module scope lives as long as the isolate. */
const isolateBook = new LeaseBook();

interface WaitingAsk {
  leaseName: string;
  ask: LeaseAsk;
  answer: Promise<LeaseGrant | typeof TIMED_OUT>;
  resolve: (grant: LeaseGrant | typeof TIMED_OUT) => void;
  reject: (error: unknown) => void;
}

/** One call to an object; `settled` resolves (never rejects) once it is over. */
interface ObjectCall {
  startedAt: number;
  settled: Promise<void>;
}

interface ObjectQueue {
  name: string;
  /** The object's id: a plain value, derived once (a stub is made per call, in the caller's request). */
  id: DurableObjectId;
  waiting: WaitingAsk[];
  /** The call in flight to this object, if any. */
  inFlight: ObjectCall | null;
}

/**
 * The embedded backend with leases: the `RATE_LIMITER` namespace, one object per policy and shard
 * (`limiterObjectName`). An isolate keeps one call per object in flight: requests that need the
 * object meanwhile wait for it and then go together in the next call (`leaseMany`), so under load
 * one round trip counts many requests, and alone a request goes at once. The time budget and the
 * fail mode apply as to single counts; `DurableObjectRateLimiter` answers the health check.
 */
export class LeasedDurableObjectRateLimiter implements RateLimiter {
  readonly backend = 'durable-object';
  private readonly plain: DurableObjectRateLimiter;
  private readonly queues = new Map<string, ObjectQueue>();

  constructor(
    private readonly namespace: DurableObjectNamespace<RateLimiterObject>,
    private readonly book: LeaseBook = isolateBook,
  ) {
    this.plain = new DurableObjectRateLimiter(namespace);
  }

  async limit({ policy, rule, key, timeoutMs }: LimitRequest): Promise<LimitOutcome> {
    const leaseName = `${policy}:${key}:${rule.limit}/${rule.windowMs}`;
    const local = this.book.spend(leaseName);
    if (local) return { kind: 'decided', verdict: local };
    const { want, returned } = this.book.prepare(leaseName);
    const target: LeaseTarget = { object: limiterObjectName(policy, key), key, limit: rule.limit, windowMs: rule.windowMs };
    try {
      const ask: LeaseAsk = { key, limit: rule.limit, windowMs: rule.windowMs, want, returned };
      const grant = await withinTime(this.askObject(target.object, leaseName, ask, timeoutMs), timeoutMs);
      // A failed or late call may still have taken the returned slots back: they are not sent
      // again (the window ends a little stricter, never looser). A request that gave up while
      // waiting for its call is still counted when the call goes: stricter too.
      if (grant === TIMED_OUT) return { kind: 'unavailable', reason: 'timeout', detail: `no answer within ${timeoutMs} ms` };
      return { kind: 'decided', verdict: this.book.record(leaseName, grant, target) };
    } catch (err) {
      return { kind: 'unavailable', reason: 'error', detail: errorDetail(err) };
    }
  }

  check(timeoutMs: number): Promise<LimiterHealth> {
    return this.plain.check(timeoutMs);
  }

  /** Joins the next call to `name`; the request that finds no call in flight sends it. */
  private async askObject(name: string, leaseName: string, ask: LeaseAsk, timeoutMs: number): Promise<LeaseGrant | typeof TIMED_OUT> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { name, id: this.namespace.idFromName(name), waiting: [], inFlight: null };
      this.queues.set(name, queue);
    }
    let resolve!: WaitingAsk['resolve'];
    let reject!: WaitingAsk['reject'];
    const answer = new Promise<LeaseGrant | typeof TIMED_OUT>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const mine: WaitingAsk = { leaseName, ask, answer, resolve, reject };
    queue.waiting.push(mine);
    for (;;) {
      const call = queue.inFlight;
      if (!call) break;
      // The call is made from the request that sent it; if that request ends first (its browser
      // left, or its own budget ran out) the call may never settle. Past one time budget it is
      // given up on, so a queue is never held longer than that.
      const left = call.startedAt + timeoutMs - Date.now();
      if (left <= 0) {
        if (queue.inFlight === call) queue.inFlight = null;
        break;
      }
      await withinTime(call.settled, left);
    }
    // Nobody took this ask along yet: send it with everyone waiting. The call is made from this
    // request, whose context stays alive until the answer is back (it waits for its own).
    if (queue.waiting.includes(mine)) this.startCall(queue, timeoutMs);
    return mine.answer;
  }

  private startCall(queue: ObjectQueue, timeoutMs: number): void {
    const batch = queue.waiting.splice(0);
    // In place before the call runs, so a call that ends at once still clears it.
    const call: ObjectCall = { startedAt: Date.now(), settled: Promise.resolve() };
    queue.inFlight = call;
    call.settled = this.send(queue, call, batch, timeoutMs);
  }

  private async send(queue: ObjectQueue, call: ObjectCall, batch: WaitingAsk[], timeoutMs: number): Promise<void> {
    try {
      // Renewals for callers of this object who will likely be back within the second ride along:
      // the call costs about the same with them, and their next request is decided here.
      const ahead = this.book.takeAhead(queue.name, new Set(batch.map((waiting) => waiting.leaseName)), AHEAD_PER_CALL);
      const stub = this.namespace.get(queue.id);
      const asks = [...batch.map((waiting) => waiting.ask), ...ahead.map((renewal) => renewal.ask)];
      // Bounded, so an object that never answers holds the queue for one time budget, not forever.
      const grants: LeaseGrant[] | typeof TIMED_OUT = await withinTime(stub.leaseMany(asks), timeoutMs);
      batch.forEach((waiting, i) => {
        const grant = grants === TIMED_OUT ? TIMED_OUT : grants[i];
        if (grant === undefined) waiting.reject(new Error(`the limiter object answered ${asks.length} asks short`));
        else waiting.resolve(grant);
      });
      // A renewal that got no answer is only a lease not taken (its returned slots stay counted).
      if (grants !== TIMED_OUT) {
        ahead.forEach((renewal, i) => {
          const grant = grants[batch.length + i];
          if (grant) this.book.recordAhead(renewal, grant);
        });
      }
    } catch (err) {
      for (const waiting of batch) waiting.reject(err);
    } finally {
      if (queue.inFlight === call) queue.inFlight = null;
    }
  }
}
