/**
 * Limits on requests for quote, per account and over every channel: an RFQ rate (a rolling
 * window like the order rates), a maximum notional per RFQ and a maximum notional quoted per
 * UTC day, each per quote asset. Notionals are exact integers at the asset's scale.
 */
import { ApiError } from '../errors/api-error.js';
import type { RateLimitPolicy } from './policies.js';
import { QuotaLimiter, rateLimitedError, type LimitStores } from './quota-limiter.js';

/** The RFQ rate policy; its quota comes from `rfq.rfqsPerMinute`. */
export const RFQ_POLICY = {
  name: 'rfq-60s', kind: 'rolling-window', scope: 'account', quota: 60, windowSeconds: 60, rollingBucketMs: 1000,
  description: 'Requests for quote per account in any rolling minute, over all channels.',
} as const satisfies RateLimitPolicy;

export interface RfqLimitSettings {
  rfqsPerMinute: number;
  /** Per quote asset, in that asset's smallest units; absent: no limit. */
  maxPerRfq: ReadonlyMap<string, bigint>;
  maxPerDay: ReadonlyMap<string, bigint>;
}

const DAY_MS = 86_400_000;

export class RfqLimiter {
  readonly #rate: QuotaLimiter;
  readonly #settings: RfqLimitSettings;
  readonly #now: () => number;
  /** Notional quoted today, by `account asset`; the day it counts is kept beside it. */
  readonly #daily = new Map<string, { day: number; total: bigint }>();

  constructor(settings: RfqLimitSettings, stores: LimitStores = {}) {
    this.#settings = settings;
    this.#now = stores.now ?? Date.now;
    this.#rate = new QuotaLimiter([{ ...RFQ_POLICY, quota: settings.rfqsPerMinute }], stores);
  }

  /** Spends one RFQ from the account's rate, or throws RATE_LIMITED. */
  async spendRate(accountId: string): Promise<void> {
    const decision = await this.#rate.consume({ account: accountId }, 1);
    if (!decision.allowed) throw rateLimitedError(decision);
  }

  /** Throws RFQ_NOTIONAL_TOO_LARGE or RFQ_DAILY_LIMIT when `notional` may not be quoted now. */
  check(accountId: string, asset: string, notional: bigint): void {
    const perRfq = this.#settings.maxPerRfq.get(asset);
    if (perRfq !== undefined && notional > perRfq) {
      throw new ApiError({ status: 400, code: 'RFQ_NOTIONAL_TOO_LARGE', detail: `The request's notional exceeds the ${asset} maximum per RFQ.` });
    }
    const perDay = this.#settings.maxPerDay.get(asset);
    if (perDay !== undefined && this.#today(accountId, asset) + notional > perDay) {
      throw new ApiError({ status: 422, code: 'RFQ_DAILY_LIMIT', detail: `The account's ${asset} RFQ notional for today would exceed its daily maximum.` });
    }
  }

  /** Counts a quote given to the account toward its daily notional. */
  record(accountId: string, asset: string, notional: bigint): void {
    const day = Math.floor(this.#now() / DAY_MS);
    const key = `${accountId} ${asset}`;
    const entry = this.#daily.get(key);
    this.#daily.set(key, { day, total: (entry?.day === day ? entry.total : 0n) + notional });
  }

  #today(accountId: string, asset: string): bigint {
    const entry = this.#daily.get(`${accountId} ${asset}`);
    return entry !== undefined && entry.day === Math.floor(this.#now() / DAY_MS) ? entry.total : 0n;
  }
}
