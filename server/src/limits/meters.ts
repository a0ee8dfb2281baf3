/**
 * How one policy counts:
 * - TokenBucketMeter: a bucket of `quota` units per partition, refilled continuously at `quota`
 *   units per `windowSeconds` (see token-bucket.ts), kept in a TokenBucketStore. A full bucket
 *   allows a burst of the whole quota; after that, requests pass at the refill rate. Used for
 *   request weights.
 * - RollingWindowMeter: time is cut into buckets of `bucketMs`; a request fits if the window's
 *   buckets (the current one and those before it, `windowSeconds / bucketMs` in all) plus its
 *   units stay within the quota. An accepted unit stops counting between `window - bucketMs` and
 *   `window` after it was spent, so there is no burst of twice the quota across a boundary and a
 *   client pacing exactly at the quota is never refused. The counts per bucket (see
 *   rolling-window.ts) are kept in a RollingWindowStore, one atomic step per decision. Used for
 *   order rates.
 * Meters of one kind over one store (their `batch`) decide a request's policies together with
 * `consumeAll`: one atomic store step for all of them, all or nothing.
 */
import type { LimitCheck, RollingWindowStore, TokenBucketStore } from './limit-store.js';
import type { RateLimitPolicy, RollingWindowPolicy, TokenBucketPolicy } from './policies.js';
import { checkWindowShape, msUntilRoom, spentUnits, type WindowConsume, type WindowShape, type WindowState } from './rolling-window.js';
import { checkShape, fullGrains, msUntilGrains, unitGrains, wholeUnits, type BucketShape, type BucketState, type BucketTake } from './token-bucket.js';

export interface MeterReading {
  /** Units spent now (not counting a refused request); in a token bucket, capacity − whole tokens left. */
  consumed: number;
  /**
   * Refused: ms until the request would fit. Otherwise: ms until quota returns (token bucket:
   * until the bucket is full; rolling window: until the oldest spent unit returns); 0 if none is spent.
   */
  msBeforeNext: number;
}

export interface Consumption extends MeterReading {
  fits: boolean;
  /**
   * Refused, when it differs from msBeforeNext: ms until the quota returns as `peek` would report
   * it (a token bucket: until it is full), for the RateLimit field's `t`.
   */
  msBeforeReset?: number;
}

/** One policy's part in a decision: its meter, and the partition the request is charged to. */
export interface MeterPart {
  meter: Meter;
  partition: string;
}

export interface Meter {
  /** Spends `units` if they fit; reports `fits: false` (spending nothing) otherwise. */
  consume(partition: string, units: number): Promise<Consumption>;
  /** Meters with the same batch (one kind, one store) decide together: see `consumeAll`. */
  readonly batch: object;
  /**
   * Spends `units` from every part (all of this meter's batch), all or nothing, in one store step:
   * one round trip to a shared store. Refused: nothing is spent, and a part that fitted reads as
   * it stands (fits, with the reading of `peek`).
   */
  consumeAll(parts: readonly MeterPart[], units: number): Promise<Consumption[]>;
  /** `consumeAll` without a promise; only when `answersAtOnce`. */
  consumeAllNow(parts: readonly MeterPart[], units: number): Consumption[];
  /** Gives back units spent by a request another policy refused; reads the result. */
  refund(partition: string, units: number): Promise<MeterReading>;
  peek(partition: string): Promise<MeterReading>;
  /** True when the store is in this process, so `consumeNow`, `consumeAllNow` and `refundNow` can answer at once. */
  readonly answersAtOnce: boolean;
  /** `consume` without a promise; only when `answersAtOnce`. */
  consumeNow(partition: string, units: number): Consumption;
  /** `refund` without a promise; only when `answersAtOnce`. */
  refundNow(partition: string, units: number): MeterReading;
}

/**
 * A store's operations in the words every meter uses: spend units if they fit (one key, or
 * several all or nothing), give units back, read. Each meter kind maps its store onto these.
 */
interface MeterStore<Shape, Outcome, State> {
  spend(key: string, units: number, shape: Shape, now: number): Promise<Outcome>;
  spendAll(checks: readonly LimitCheck<Shape>[], now: number): Promise<Outcome[]>;
  giveBack(key: string, units: number, shape: Shape, now: number): Promise<State>;
  read(key: string, shape: Shape, now: number): Promise<State>;
  /** Present when the store is in this process and answers at once. */
  spendNow?(key: string, units: number, shape: Shape, now: number): Outcome;
  spendAllNow?(checks: readonly LimitCheck<Shape>[], now: number): Outcome[];
  giveBackNow?(key: string, units: number, shape: Shape, now: number): State;
}

/** The methods of `T` that can serve as `F`. */
type MethodsFitting<T, F> = { [M in keyof T]-?: NonNullable<T[M]> extends F ? M : never }[keyof T];

/** Which method of a store performs each meter operation; a name whose method does not fit the operation does not compile. */
type OperationNames<T, Shape, Outcome, State> = {
  [Op in keyof MeterStore<Shape, Outcome, State>]-?: MethodsFitting<T, NonNullable<MeterStore<Shape, Outcome, State>[Op]>>;
};

/** A store's operations in the meters' words, bound to it; an at-once form only where the store has that method. */
function meterStore<T extends object, Shape, Outcome, State>(store: T, names: OperationNames<T, Shape, Outcome, State>): MeterStore<Shape, Outcome, State> {
  const operations: Record<string, unknown> = {};
  for (const [operation, method] of Object.entries(names) as Array<[string, keyof T]>) {
    const fn = store[method];
    if (typeof fn === 'function') operations[operation] = fn.bind(store);
  }
  return operations as unknown as MeterStore<Shape, Outcome, State>;
}

/**
 * What both meters share: keys per partition, the clock, batches over one store, and the
 * promise and at-once forms of each operation. A kind supplies its store's operations, its
 * check of a request's units, and how its store's answers read as consumptions and readings.
 */
abstract class StoreMeter<Shape, Outcome, State> implements Meter {
  readonly #store: MeterStore<Shape, Outcome, State>;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #keys = new StoreKeys();

  protected constructor(
    store: MeterStore<Shape, Outcome, State>,
    /** The store itself: meters over one store decide together. */
    readonly batch: object,
    protected readonly shape: Shape,
    prefix: string,
    now: () => number,
  ) {
    this.#store = store;
    this.#prefix = prefix;
    this.#now = now;
  }

  /** Throws RangeError for units this kind cannot count. */
  protected abstract checkUnits(units: number): void;
  protected abstract consumption(outcome: Outcome, units: number, now: number): Consumption;
  protected abstract reading(state: State, now: number): MeterReading;

  get answersAtOnce(): boolean {
    return this.#store.spendNow !== undefined && this.#store.spendAllNow !== undefined && this.#store.giveBackNow !== undefined;
  }

  async consumeAll(parts: readonly MeterPart[], units: number): Promise<Consumption[]> {
    const meters = parts.map((part) => this.#sameBatch(part.meter));
    const checks = parts.map((part, i) => meters[i]!.#check(part.partition, units));
    const now = this.#now();
    const outcomes = await this.#store.spendAll(checks, now);
    return outcomes.map((outcome, i) => meters[i]!.consumption(outcome, units, now));
  }

  consumeAllNow(parts: readonly MeterPart[], units: number): Consumption[] {
    const meters = parts.map((part) => this.#sameBatch(part.meter));
    const checks = parts.map((part, i) => meters[i]!.#check(part.partition, units));
    const now = this.#now();
    return this.#store.spendAllNow!(checks, now).map((outcome, i) => meters[i]!.consumption(outcome, units, now));
  }

  async consume(partition: string, units: number): Promise<Consumption> {
    this.checkUnits(units);
    const now = this.#now();
    return this.consumption(await this.#store.spend(this.#key(partition), units, this.shape, now), units, now);
  }

  consumeNow(partition: string, units: number): Consumption {
    this.checkUnits(units);
    const now = this.#now();
    return this.consumption(this.#store.spendNow!(this.#key(partition), units, this.shape, now), units, now);
  }

  async refund(partition: string, units: number): Promise<MeterReading> {
    this.checkUnits(units);
    const now = this.#now();
    return this.reading(await this.#store.giveBack(this.#key(partition), units, this.shape, now), now);
  }

  refundNow(partition: string, units: number): MeterReading {
    this.checkUnits(units);
    const now = this.#now();
    return this.reading(this.#store.giveBackNow!(this.#key(partition), units, this.shape, now), now);
  }

  async peek(partition: string): Promise<MeterReading> {
    const now = this.#now();
    return this.reading(await this.#store.read(this.#key(partition), this.shape, now), now);
  }

  #sameBatch(meter: Meter): StoreMeter<Shape, Outcome, State> {
    if (!(meter instanceof StoreMeter) || meter.constructor !== this.constructor || meter.batch !== this.batch) {
      throw new Error('consumeAll: every part must be a meter of this batch');
    }
    return meter as StoreMeter<Shape, Outcome, State>;
  }

  #check(partition: string, units: number): LimitCheck<Shape> {
    this.checkUnits(units);
    return { key: this.#key(partition), units, shape: this.shape };
  }

  #key(partition: string): string {
    return this.#keys.of(this.#prefix, partition);
  }

  /** The store key of a partition (for InPlaceWindows). */
  protected storeKey(partition: string): string {
    return this.#key(partition);
  }

  /** The meter's clock, in ms. */
  protected get now(): () => number {
    return this.#now;
  }
}

export class TokenBucketMeter extends StoreMeter<BucketShape, BucketTake, BucketState> {
  constructor(policy: TokenBucketPolicy, store: TokenBucketStore, now: () => number = Date.now) {
    const shape = { capacity: policy.quota, periodMs: policy.windowSeconds * 1000 };
    checkShape(shape, policy.name);
    super(
      meterStore(store, { spend: 'take', spendAll: 'takeAll', giveBack: 'giveBack', read: 'read', spendNow: 'takeNow', spendAllNow: 'takeAllNow', giveBackNow: 'giveBackNow' }),
      store, shape, `tb-${policy.name}:`, now,
    );
  }

  /** A request heavier than the bucket could never pass; the limiters check weights up front. */
  protected checkUnits(units: number): void {
    if (!Number.isSafeInteger(units) || units < 1 || units > this.shape.capacity) {
      throw new RangeError(`units must be an integer from 1 to ${this.shape.capacity}, got ${units}`);
    }
  }

  protected consumption({ taken, state }: BucketTake, units: number, now: number): Consumption {
    const full = this.reading(state, now);
    if (taken) return { fits: true, ...full };
    // Refused: the request may retry once its units are back; the bucket is full later still.
    return { fits: false, ...this.#readingUntil(state, now, unitGrains(units, this.shape)), msBeforeReset: full.msBeforeNext };
  }

  /** Whole tokens spent, and ms until the bucket is full again. */
  protected reading(state: BucketState, now: number): MeterReading {
    return this.#readingUntil(state, now, fullGrains(this.shape));
  }

  #readingUntil(state: BucketState, now: number, awaitedGrains: number): MeterReading {
    return {
      consumed: this.shape.capacity - wholeUnits(state, this.shape),
      // The store's time may be ahead of this process's clock (another process wrote last).
      msBeforeNext: Math.max(0, state.at + msUntilGrains(state, awaitedGrains, this.shape) - now),
    };
  }
}

export class RollingWindowMeter extends StoreMeter<WindowShape, WindowConsume, WindowState> {
  constructor(policy: RollingWindowPolicy, store: RollingWindowStore, now: () => number = Date.now) {
    const windowMs = policy.windowSeconds * 1000;
    const shape = { quota: policy.quota, bucketMs: policy.rollingBucketMs, buckets: windowMs / policy.rollingBucketMs };
    checkWindowShape(shape, policy.name);
    super(
      meterStore(store, { spend: 'consume', spendAll: 'consumeAll', giveBack: 'refund', read: 'read', spendNow: 'consumeNow', spendAllNow: 'consumeAllNow', giveBackNow: 'refundNow' }),
      store, shape, `rw-${policy.name}:`, now,
    );
    this.store = store;
  }

  /** Where the windows are kept (for InPlaceWindows). */
  readonly store: RollingWindowStore;

  /** What InPlaceWindows needs of this meter: its store key of a partition, its window's shape and clock. */
  inPlace(): { key: (partition: string) => string; shape: WindowShape; now: () => number } {
    return { key: (partition) => this.storeKey(partition), shape: this.shape, now: this.now };
  }

  /** Counts are whole units; a request heavier than the quota is simply never admitted. */
  protected checkUnits(units: number): void {
    if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`units must be a positive integer, got ${units}`);
  }

  protected consumption({ fits, state }: WindowConsume, units: number, now: number): Consumption {
    const consumed = spentUnits(state);
    // Refused: ms until these units fit. Admitted: ms until the oldest spent unit returns.
    const awaited = fits ? 1 + this.shape.quota - consumed : units;
    return { fits, consumed, msBeforeNext: msUntilRoom(state, awaited, this.shape, now) };
  }

  /** Units spent, and ms until the oldest of them returns. */
  protected reading(state: WindowState, now: number): MeterReading {
    const consumed = spentUnits(state);
    return { consumed, msBeforeNext: msUntilRoom(state, 1 + this.shape.quota - consumed, this.shape, now) };
  }
}

/**
 * The rolling windows of several meters over one store that spends in place
 * (RollingWindowStore.consumeAllInPlace): a request's units spent from all of them, all or
 * nothing, answering only whether they fitted, and allocating nothing. For the order-rate
 * decision, whose allowed answer no caller keeps.
 */
export class InPlaceWindows {
  readonly #consume: (keys: readonly string[], shapes: readonly WindowShape[], units: number, now: number) => boolean;
  readonly #keyOf: readonly ((partition: string) => string)[];
  readonly #shapes: readonly WindowShape[];
  readonly #now: () => number;
  /** The keys of the current decision, rewritten by each one. */
  readonly #keys: string[];

  /** Undefined unless every meter is a rolling window of one store that spends in place, under one clock. */
  static over(meters: readonly Meter[]): InPlaceWindows | undefined {
    if (meters.length === 0 || !meters.every((m) => m instanceof RollingWindowMeter)) return undefined;
    const windows = meters as readonly RollingWindowMeter[];
    const store = windows[0]!.store;
    if (store.consumeAllInPlace === undefined || windows.some((m) => m.store !== store)) return undefined;
    const parts = windows.map((m) => m.inPlace());
    if (parts.some((p) => p.now !== parts[0]!.now)) return undefined;
    return new InPlaceWindows(store.consumeAllInPlace.bind(store), parts.map((p) => p.key), parts.map((p) => p.shape), parts[0]!.now);
  }

  private constructor(consume: (keys: readonly string[], shapes: readonly WindowShape[], units: number, now: number) => boolean, keyOf: readonly ((partition: string) => string)[], shapes: readonly WindowShape[], now: () => number) {
    this.#consume = consume;
    this.#keyOf = keyOf;
    this.#shapes = shapes;
    this.#now = now;
    this.#keys = keyOf.map(() => '');
  }

  /** True when `units` fitted in every window of `partition` and were spent; false when nothing was (or `units` is not a count). */
  consume(partition: string, units: number): boolean {
    if (!Number.isSafeInteger(units) || units < 1) return false;
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const key = this.#keyOf[i]!(partition);
      // Two policies on one key (names alike): the general way sees what the first spent.
      for (let j = 0; j < i; j++) if (keys[j] === key) return false;
      keys[i] = key;
    }
    return this.#consume(keys, this.#shapes, units, this.#now());
  }
}

/**
 * The store key of each recent partition: a key built anew for every decision is a new string
 * that the store must hash again. Bounded: cleared when it grows past `MAX_KEYS` (partitions may
 * be IP addresses, without limit).
 */
class StoreKeys {
  static readonly MAX_KEYS = 10_000;
  readonly #keys = new Map<string, string>();

  of(prefix: string, partition: string): string {
    let key = this.#keys.get(partition);
    if (key === undefined) {
      if (this.#keys.size >= StoreKeys.MAX_KEYS) this.#keys.clear();
      key = prefix + partition;
      this.#keys.set(partition, key);
    }
    return key;
  }
}

/** Where meters keep their counts, and their clock. */
export interface MeterStores {
  /** Holds the rolling windows. */
  windows: RollingWindowStore;
  /** Holds the token buckets. */
  buckets: TokenBucketStore;
  now?: () => number;
}

export function meterFor(policy: RateLimitPolicy, stores: MeterStores): Meter {
  return policy.kind === 'rolling-window'
    ? new RollingWindowMeter(policy, stores.windows, stores.now)
    : new TokenBucketMeter(policy, stores.buckets, stores.now);
}
