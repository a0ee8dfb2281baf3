/**
 * The stores of limits. Each kind of limit (token buckets for request weights, rolling windows for
 * order rates) keeps one state per key and changes it in atomic steps computed by pure arithmetic
 * (token-bucket.ts, rolling-window.ts); a state may be forgotten once it is the same as an absent
 * one (a full bucket, an empty window). Where the states live is a LimitStateStore, written once
 * for all kinds: in this process's memory (memory-limit-store.ts) or in SQLite
 * (sqlite-limit-store.ts); in Redis, one script per step (redis-limit-store.ts). Every process
 * sharing a store then shares the budgets in it.
 *
 * A request is usually charged to several policies of one kind at once (a key's and an IP's
 * bucket; an account's one-second and ten-second windows). `takeAll` and `consumeAll` decide
 * them together in one atomic step, all or nothing: one round trip to a shared store, and no
 * give-back when one of them refuses.
 *
 * Callers pass `now`, so processes sharing a store need synchronised clocks; a clock that lags
 * the store's newest time refills nothing, frees nothing early and can never overdraw a budget.
 */
import { advance, consume, emptyAt, refund, type WindowConsume, type WindowShape, type WindowState } from './rolling-window.js';
import { fullAt, giveBack, refill, take, type BucketShape, type BucketState, type BucketTake } from './token-bucket.js';

/** When a kind's states may be forgotten. */
export interface Forgetting<State, Shape> {
  /** Whether `state` is already the same as an absent one, so it need not be kept. */
  isIdle(state: State, shape: Shape): boolean;
  /** When `state` becomes the same as an absent one if nothing more is spent (ms). */
  idleAt(state: State, shape: Shape): number;
}

/** The arithmetic of one kind of limit. A stored state is undefined when absent. */
export interface LimitKind<State, Shape, Spend extends { state: State }> extends Forgetting<State, Shape> {
  /** Brings the state to `now`, then spends `units` if they all fit. */
  spend(stored: State | undefined, units: number, shape: Shape, now: number): Spend;
  /** Whether a spend fitted; a refused spend leaves the state as it was. */
  fitted(spend: Spend): boolean;
  /** Brings the state to `now`, then gives back up to `units`. */
  giveBack(stored: State | undefined, units: number, shape: Shape, now: number): State;
  /** The state brought to `now`. */
  current(stored: State | undefined, shape: Shape, now: number): State;
}

/** One policy's part of an all-or-nothing spend: `units` from the state of `key`. */
export interface LimitCheck<Shape> {
  key: string;
  units: number;
  shape: Shape;
}

/** What one step computed: the answer for the caller, and the state to store. */
export interface Step<Result, State> {
  result: Result;
  /** The state to store; omitted when the step changes nothing (a refused spend). */
  next?: State;
}

/** Where the states of one kind of limit live, one atomic step at a time. */
export interface LimitStateStore<State, Shape> {
  /**
   * Applies `step` to the stored state of `key` and stores its outcome, atomically. `now` (the
   * callers' clock) tells which other states have become forgettable.
   */
  update<Result>(key: string, shape: Shape, now: number, step: (stored: State | undefined) => Step<Result, State>): Result;
  /**
   * Applies `step` to the stored states of several keys and stores what it returns (one state per
   * entry, written in order; none when `next` is omitted), atomically.
   */
  updateAll<Result>(entries: readonly { key: string; shape: Shape }[], now: number, step: (stored: readonly (State | undefined)[]) => Step<Result, readonly State[]>): Result;
  /** The stored state of `key`; undefined when absent. */
  get(key: string): State | undefined;
  /** States held (those not yet known to be idle). */
  readonly size: number;
}

/**
 * The operations of a limit store (TokenBucketStore, RollingWindowStore) for any kind of limit,
 * each one atomic step of the kind's arithmetic on the states kept in a LimitStateStore. A kind's
 * store only gives these operations the names of its interface.
 */
export class StoredLimits<State, Shape, Spend extends { state: State }> {
  readonly #kind: LimitKind<State, Shape, Spend>;
  readonly #states: LimitStateStore<State, Shape>;

  constructor(kind: LimitKind<State, Shape, Spend>, states: LimitStateStore<State, Shape>) {
    this.#kind = kind;
    this.#states = states;
  }

  /** Brings the state of `key` to `now`, then spends `units` if they all fit (else nothing). */
  async spend(key: string, units: number, shape: Shape, now: number): Promise<Spend> {
    return this.spendNow(key, units, shape, now);
  }

  /** `spend`, answered at once: the states are in this process (memory, SQLite). */
  spendNow(key: string, units: number, shape: Shape, now: number): Spend {
    return this.#states.update(key, shape, now, (stored) => {
      const result = this.#kind.spend(stored, units, shape, now);
      return this.#kind.fitted(result) ? { result, next: result.state } : { result };
    });
  }

  /** Spends every check, all or nothing (see TokenBucketStore.takeAll). */
  async spendAll(checks: readonly LimitCheck<Shape>[], now: number): Promise<Spend[]> {
    return this.spendAllNow(checks, now);
  }

  /** `spendAll`, answered at once. */
  spendAllNow(checks: readonly LimitCheck<Shape>[], now: number): Spend[] {
    const kind = this.#kind;
    return this.#states.updateAll(checks, now, (stored) => {
      // A later check on a key sees what the earlier ones spent from it (checks are few: a
      // look back over them, rather than a Map per decision).
      const spends: Spend[] = [];
      for (let i = 0; i < checks.length; i++) {
        const { key, units, shape } = checks[i]!;
        let from = stored[i];
        for (let j = i - 1; j >= 0; j--) {
          if (checks[j]!.key === key && kind.fitted(spends[j]!)) {
            from = spends[j]!.state;
            break;
          }
        }
        spends.push(kind.spend(from, units, shape, now));
      }
      if (spends.every((spend) => kind.fitted(spend))) return { result: spends, next: spends.map((spend) => spend.state) };
      // Refused: nothing is spent, and every state reads as it is stored.
      return { result: spends.map((spend, i) => ({ ...spend, state: kind.current(stored[i], checks[i]!.shape, now) })) };
    });
  }

  /** Brings the state of `key` to `now`, then gives back up to `units`. */
  async giveBack(key: string, units: number, shape: Shape, now: number): Promise<State> {
    return this.giveBackNow(key, units, shape, now);
  }

  /** `giveBack`, answered at once. */
  giveBackNow(key: string, units: number, shape: Shape, now: number): State {
    return this.#states.update(key, shape, now, (stored) => {
      const state = this.#kind.giveBack(stored, units, shape, now);
      return { result: state, next: state };
    });
  }

  /** The state of `key` brought to `now`, changing nothing. */
  async read(key: string, shape: Shape, now: number): Promise<State> {
    return this.#kind.current(this.#states.get(key), shape, now);
  }

  /** States held (those not yet known to be idle). */
  get size(): number {
    return this.#states.size;
  }
}

// Token buckets. rate-limiter-flexible has no token bucket, so buckets have a store of their own.

export interface TokenBucketStore {
  /** Refills the bucket `key` up to `now`, then takes `units` if they all fit (else nothing). */
  take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake>;
  /** Refills the bucket up to `now`, then puts `units` back (never beyond its capacity). */
  giveBack(key: string, units: number, shape: BucketShape, now: number): Promise<BucketState>;
  /**
   * Takes every check's units from its bucket, all or nothing, in one atomic step (one round trip
   * to a shared store). Checks run in order, each refilled to `now`; one on a bucket an earlier
   * check took from sees what it took. When every check fits, all are taken and each answer is
   * what `take` would answer. Otherwise nothing is taken: each answer says whether its check
   * fitted, with its bucket as `read` would answer.
   */
  takeAll(checks: readonly LimitCheck<BucketShape>[], now: number): Promise<BucketTake[]>;
  /** The bucket refilled up to `now`, changing nothing. */
  read(key: string, shape: BucketShape, now: number): Promise<BucketState>;
  /** `take`, `takeAll` and `giveBack` answered at once, by a store in this process (absent: a shared store, which answers later). */
  takeNow?(key: string, units: number, shape: BucketShape, now: number): BucketTake;
  takeAllNow?(checks: readonly LimitCheck<BucketShape>[], now: number): BucketTake[];
  giveBackNow?(key: string, units: number, shape: BucketShape, now: number): BucketState;
}

/** Token-bucket arithmetic for the generic stores. A full bucket is the same as an absent one. */
export const TOKEN_BUCKETS: LimitKind<BucketState, BucketShape, BucketTake> = {
  isIdle: (state, shape) => fullAt(state, shape) <= state.at,
  idleAt: fullAt,
  spend: take,
  fitted: (result) => result.taken,
  giveBack,
  current: refill,
};

/** A TokenBucketStore over the bucket states of a LimitStateStore (memory, SQLite). */
export class StoredTokenBuckets extends StoredLimits<BucketState, BucketShape, BucketTake> implements TokenBucketStore {
  take(key: string, units: number, shape: BucketShape, now: number): Promise<BucketTake> {
    return this.spend(key, units, shape, now);
  }

  takeNow(key: string, units: number, shape: BucketShape, now: number): BucketTake {
    return this.spendNow(key, units, shape, now);
  }

  takeAll(checks: readonly LimitCheck<BucketShape>[], now: number): Promise<BucketTake[]> {
    return this.spendAll(checks, now);
  }

  takeAllNow(checks: readonly LimitCheck<BucketShape>[], now: number): BucketTake[] {
    return this.spendAllNow(checks, now);
  }
}

// Rolling windows: an order decision is one atomic step, one round trip, for all its policies.

export interface RollingWindowStore {
  /** Advances the window `key` to `now`, then spends `units` if they all fit (else nothing). */
  consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume>;
  /** Advances the window to `now`, then gives back up to `units`, newest first. */
  refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState>;
  /**
   * Spends every check's units in its window, all or nothing, in one atomic step (one round trip
   * to a shared store); answered as TokenBucketStore.takeAll answers, with windows for buckets.
   */
  consumeAll(checks: readonly LimitCheck<WindowShape>[], now: number): Promise<WindowConsume[]>;
  /** The window advanced to `now`, changing nothing. */
  read(key: string, shape: WindowShape, now: number): Promise<WindowState>;
  /** `consume`, `consumeAll` and `refund` answered at once, by a store in this process (absent: a shared store, which answers later). */
  consumeNow?(key: string, units: number, shape: WindowShape, now: number): WindowConsume;
  consumeAllNow?(checks: readonly LimitCheck<WindowShape>[], now: number): WindowConsume[];
  refundNow?(key: string, units: number, shape: WindowShape, now: number): WindowState;
  /**
   * `consumeAll` for a caller that needs only to know whether the units fitted (an order's
   * decision): spends `units` in every window of `keys` (distinct, each with its shape) and answers
   * true, or changes nothing and answers false. Allocates nothing; a store in this process may have it.
   */
  consumeAllInPlace?(keys: readonly string[], shapes: readonly WindowShape[], units: number, now: number): boolean;
}

/** Rolling-window arithmetic for the generic stores. An empty window is the same as an absent one. */
export const ROLLING_WINDOWS: LimitKind<WindowState, WindowShape, WindowConsume> = {
  isIdle: (state) => state.length === 0,
  idleAt: emptyAt,
  spend: consume,
  fitted: (result) => result.fits,
  giveBack: refund,
  current: advance,
};

/** A RollingWindowStore over the window states of a LimitStateStore (memory, SQLite). */
export class StoredRollingWindows extends StoredLimits<WindowState, WindowShape, WindowConsume> implements RollingWindowStore {
  consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume> {
    return this.spend(key, units, shape, now);
  }

  refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    return this.giveBack(key, units, shape, now);
  }

  consumeNow(key: string, units: number, shape: WindowShape, now: number): WindowConsume {
    return this.spendNow(key, units, shape, now);
  }

  consumeAll(checks: readonly LimitCheck<WindowShape>[], now: number): Promise<WindowConsume[]> {
    return this.spendAll(checks, now);
  }

  consumeAllNow(checks: readonly LimitCheck<WindowShape>[], now: number): WindowConsume[] {
    return this.spendAllNow(checks, now);
  }

  refundNow(key: string, units: number, shape: WindowShape, now: number): WindowState {
    return this.giveBackNow(key, units, shape, now);
  }
}
