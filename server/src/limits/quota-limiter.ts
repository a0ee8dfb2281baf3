/**
 * Enforces a set of policies at once: a request spends `units` from every policy that applies
 * to it (the policy's scope has a partition: a key id, an IP, an account). It is admitted only if
 * every policy has room; a refused request spends nothing, so a heavy request that does not fit
 * does not starve light ones.
 */
import { ApiError } from '../errors/api-error.js';
import { formatRateLimit, formatRateLimitPolicy, type RateLimitUsage } from './headers.js';
import type { RollingWindowStore, TokenBucketStore } from './limit-store.js';
import { MemoryTokenBucketStore } from './memory-limit-store.js';
import { MemoryRollingWindowStore } from './window-rings.js';
import { InPlaceWindows, meterFor, type Consumption, type Meter, type MeterPart, type MeterReading } from './meters.js';
import type { PolicyScope, RateLimitPolicy } from './policies.js';

const SCOPES: readonly PolicyScope[] = ['key', 'ip', 'account'];

/** Who a request is charged to; a policy whose scope is absent here does not apply. */
export type RateLimitSubject = Partial<Record<PolicyScope, string>>;

export interface RateLimitDecision {
  allowed: boolean;
  /** One entry per applied policy, in policy-table order. */
  usage: RateLimitUsage[];
  /** Present when refused: whole seconds until every refusing policy has room. */
  retryAfterSeconds?: number;
  /** Names of the policies that lacked room (empty when allowed). */
  refusedBy: string[];
  /** RateLimit-Policy and RateLimit, plus Retry-After when refused. */
  headers: Record<string, string>;
}

/**
 * Where a limiter keeps its counts. Both default to this process's memory; pass shared stores
 * to share budgets between gateway processes.
 */
export interface LimitStores {
  /** Holds the rolling windows (a new MemoryRollingWindowStore by default). */
  windows?: RollingWindowStore | undefined;
  /** Holds the token buckets (a new MemoryTokenBucketStore by default). */
  buckets?: TokenBucketStore | undefined;
  /** The clock, in ms (Date.now by default). */
  now?: (() => number) | undefined;
}

const secondsUntil = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

export class QuotaLimiter {
  readonly #policies: readonly { policy: RateLimitPolicy; meter: Meter }[];
  /** Every meter's store is in this process: `consumeNow` can decide without a promise. */
  readonly #answersAtOnce: boolean;

  constructor(policies: readonly RateLimitPolicy[], stores: LimitStores = {}) {
    const meterStores = { windows: stores.windows ?? new MemoryRollingWindowStore(), buckets: stores.buckets ?? new MemoryTokenBucketStore(), now: stores.now };
    this.#policies = policies.map((policy) => ({ policy, meter: meterFor(policy, meterStores) }));
    this.#answersAtOnce = this.#policies.every(({ meter }) => meter.answersAtOnce);
    if (this.#answersAtOnce) {
      for (const scope of SCOPES) {
        const lane = InPlaceWindows.over(this.#policies.filter((p) => p.policy.scope === scope).map((p) => p.meter));
        if (lane) this.#inPlace[scope] = lane;
      }
    }
  }

  /** Per scope, the policies of that scope when they can spend in place (see `spendInPlace`). */
  readonly #inPlace: Partial<Record<PolicyScope, InPlaceWindows>> = {};

  /**
   * `consumeNow` for a subject with `partition` for `scope` alone, by a caller that keeps nothing
   * of an allowed decision: true when the units fitted every policy and were spent, in place,
   * allocating nothing. False when nothing was spent: refused, or the policies cannot spend in
   * place (not all rolling windows of one store in this process); the caller then decides the
   * general way, which answers exactly as if this had not been asked.
   */
  spendInPlace(scope: PolicyScope, partition: string, units: number): boolean {
    return this.#inPlace[scope]?.consume(partition, units) ?? false;
  }

  get policies(): readonly RateLimitPolicy[] {
    return this.#policies.map((p) => p.policy);
  }

  /** The smallest quota among the policies, the most any one request may weigh. */
  get smallestQuota(): number {
    return Math.min(...this.#policies.map((p) => p.policy.quota));
  }

  /**
   * Spends `units` from every applicable policy, or from none if any lacks room. The policies of
   * one kind in one store (all of a request's, as configured) are decided in one atomic store
   * step: one round trip to a shared store.
   */
  async consume(subject: RateLimitSubject, units: number): Promise<RateLimitDecision> {
    const atOnce = this.consumeNow(subject, units);
    if (atOnce) return atOnce;
    const applied = this.#applicable(subject);
    const batches = batchesOf(applied);
    // One batch (the usual case): one store step, and nothing to give back.
    if (batches.length === 1) return decide(applied, await batches[0]![0]!.meter.consumeAll(batches[0]!, units), []);
    const answers = await Promise.all(batches.map((batch) => batch[0]!.meter.consumeAll(batch, units)));
    const readings = inAppliedOrder(applied, batches, answers);
    // Policies of several batches: a batch that spent gives back when another refused.
    const spent = answers.map((answer) => !answers.every(allFit) && allFit(answer));
    const givenBack = await Promise.all(inAppliedOrder(applied, batches, batches.map((batch, b) => batch.map(({ meter, partition }) => (spent[b] ? meter.refund(partition, units) : undefined)))));
    return decide(applied, readings, givenBack);
  }

  /**
   * `consume` decided at once, without a promise, when every store is in this process (the
   * default, memory or SQLite); undefined when one is shared (Redis): only `consume` answers then.
   */
  consumeNow(subject: RateLimitSubject, units: number): RateLimitDecision | undefined {
    if (!this.#answersAtOnce) return undefined;
    const applied = this.#applicable(subject);
    const batches = batchesOf(applied);
    // One batch (the usual case): nothing is ever given back, so no give-back pass.
    if (batches.length === 1) return decide(applied, batches[0]![0]!.meter.consumeAllNow(batches[0]!, units), NOTHING_GIVEN_BACK);
    const answers = batches.map((batch) => batch[0]!.meter.consumeAllNow(batch, units));
    const readings = inAppliedOrder(applied, batches, answers);
    const spent = answers.map((answer) => !answers.every(allFit) && allFit(answer));
    const givenBack = inAppliedOrder(applied, batches, batches.map((batch, b) => batch.map(({ meter, partition }) => (spent[b] ? meter.refundNow(partition, units) : undefined))));
    return decide(applied, readings, givenBack);
  }

  /** The current usage of every applicable policy, spending nothing. */
  async peek(subject: RateLimitSubject): Promise<RateLimitUsage[]> {
    const applied = this.#applicable(subject);
    const readings = await Promise.all(applied.map(({ meter, partition }) => meter.peek(partition)));
    return applied.map(({ policy }, i) => usageOf(policy, readings[i]!));
  }

  #applicable(subject: RateLimitSubject): Applied[] {
    const applied: Applied[] = [];
    for (const { policy, meter } of this.#policies) {
      const partition = subject[policy.scope];
      if (partition !== undefined) applied.push({ policy, meter, partition });
    }
    return applied;
  }
}

interface Applied extends MeterPart {
  policy: RateLimitPolicy;
}

/** Give-back readings of a decision that gave nothing back (every entry reads as undefined). */
const NOTHING_GIVEN_BACK: readonly (MeterReading | undefined)[] = [];

const allFit = (readings: readonly Consumption[]): boolean => readings.every((r) => r.fits);

/** The applied policies grouped by meter batch, each group in policy order; usually one group. */
function batchesOf(applied: readonly Applied[]): Applied[][] {
  if (applied.every((a) => a.meter.batch === applied[0]!.meter.batch)) return applied.length === 0 ? [] : [applied as Applied[]];
  const batches = new Map<object, Applied[]>();
  for (const a of applied) {
    const batch = batches.get(a.meter.batch);
    if (batch) batch.push(a);
    else batches.set(a.meter.batch, [a]);
  }
  return [...batches.values()];
}

/** Per-batch answers put back in the order of `applied`. */
function inAppliedOrder<T>(applied: readonly Applied[], batches: readonly Applied[][], answers: readonly (readonly T[])[]): T[] {
  if (batches.length === 1) return answers[0] as T[];
  const byPart = new Map<Applied, T>();
  batches.forEach((batch, b) => batch.forEach((a, i) => byPart.set(a, answers[b]![i]!)));
  return applied.map((a) => byPart.get(a)!);
}

/** The decision from each applied policy's reading (and, for a refused request, its reading after the give-back). */
function decide(applied: readonly Applied[], readings: readonly Consumption[], givenBack: readonly (MeterReading | undefined)[]): RateLimitDecision {
  if (readings.every((r) => r.fits)) return new AllowedDecision(applied, readings, givenBack);
  const refusals: Refusal[] = [];
  const usage = applied.map(({ policy }, i): RateLimitUsage => {
    const r = readings[i]!;
    if (r.fits) return usageOf(policy, givenBack[i] ?? r);
    refusals.push({ policy: policy.name, retryAfterSeconds: Math.max(1, secondsUntil(r.msBeforeNext)) });
    return usageOf(policy, { consumed: r.consumed, msBeforeNext: r.msBeforeReset ?? r.msBeforeNext });
  });
  return decision(usage, refusals);
}

function usageOf(policy: RateLimitPolicy, reading: MeterReading): RateLimitUsage {
  return {
    policy: policy.name,
    limit: policy.quota,
    remaining: Math.min(policy.quota, Math.max(0, policy.quota - reading.consumed)),
    reset: secondsUntil(reading.msBeforeNext),
    windowSeconds: policy.windowSeconds,
  };
}

interface Refusal {
  policy: string;
  retryAfterSeconds: number;
}

function decision(usage: RateLimitUsage[], refusals: readonly Refusal[]): RateLimitDecision {
  if (refusals.length === 0) return new Decision(true, usage, []);
  return new Decision(false, usage, refusals.map((r) => r.policy), Math.max(...refusals.map((r) => r.retryAfterSeconds)));
}

/**
 * A decision whose header fields are formatted when first read: only REST sends them, and an
 * order on WebSocket or FIX should not pay for formatting them.
 */
class Decision implements RateLimitDecision {
  #headers: Record<string, string> | undefined;
  /** Only on a refusal (not even as undefined otherwise). */
  declare readonly retryAfterSeconds?: number;

  constructor(
    readonly allowed: boolean,
    readonly usage: RateLimitUsage[],
    readonly refusedBy: string[],
    retryAfterSeconds?: number,
  ) {
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }

  get headers(): Record<string, string> {
    this.#headers ??= rateLimitHeaders(this.usage, this.retryAfterSeconds);
    return this.#headers;
  }
}

/**
 * An allowed decision, whose usage is worked out when first read: an order's decision is read
 * for `allowed` alone (order entry), a request's for its header fields (REST, WebSocket).
 */
class AllowedDecision implements RateLimitDecision {
  readonly allowed = true;
  readonly refusedBy: string[] = [];
  #usage: RateLimitUsage[] | undefined;
  #headers: Record<string, string> | undefined;
  readonly #applied: readonly Applied[];
  readonly #readings: readonly Consumption[];
  readonly #givenBack: readonly (MeterReading | undefined)[];

  constructor(applied: readonly Applied[], readings: readonly Consumption[], givenBack: readonly (MeterReading | undefined)[]) {
    this.#applied = applied;
    this.#readings = readings;
    this.#givenBack = givenBack;
  }

  get usage(): RateLimitUsage[] {
    this.#usage ??= this.#applied.map(({ policy }, i) => usageOf(policy, this.#givenBack[i] ?? this.#readings[i]!));
    return this.#usage;
  }

  get headers(): Record<string, string> {
    this.#headers ??= rateLimitHeaders(this.usage, undefined);
    return this.#headers;
  }
}

function rateLimitHeaders(usage: readonly RateLimitUsage[], retryAfterSeconds: number | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (usage.length > 0) {
    headers['RateLimit-Policy'] = formatRateLimitPolicy(usage);
    headers['RateLimit'] = formatRateLimit(usage);
  }
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  return headers;
}

/**
 * Combines the decisions of two limiters applied to one request (e.g. request weight and order
 * rate) into one set of header fields: refused if either refused.
 */
export function mergeDecisions(a: RateLimitDecision, b: RateLimitDecision): RateLimitDecision {
  const refusals = [a, b].flatMap((d) => d.refusedBy.map((policy) => ({ policy, retryAfterSeconds: d.retryAfterSeconds ?? 1 })));
  return decision([...a.usage, ...b.usage], refusals);
}

/** The 429 a gateway raises for a refused decision: code RATE_LIMITED, headers and usage attached. */
export function rateLimitedError(refused: RateLimitDecision): ApiError {
  const retryAfterSeconds = refused.retryAfterSeconds ?? 1;
  return new ApiError({
    status: 429,
    code: 'RATE_LIMITED',
    detail: `Rate limit exceeded (${refused.refusedBy.join(', ')}); retry after ${retryAfterSeconds} s.`,
    headers: refused.headers,
    extra: { retryAfterSeconds, limits: refused.usage },
  });
}
