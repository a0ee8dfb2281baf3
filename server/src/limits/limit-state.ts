/**
 * What the stores of token buckets and rolling windows have in common. Each kind of limit keeps
 * one state per key and changes it in atomic steps computed by pure arithmetic (token-bucket.ts,
 * rolling-window.ts); a state may be forgotten once it is the same as an absent one (a full
 * bucket, an empty window). The generic stores (memory-limit-store.ts, sqlite-limit-store.ts) and
 * operations (stored-limits.ts) know nothing else about a kind, so each is written once for all.
 */

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
  /** The stored state of `key`; undefined when absent. */
  get(key: string): State | undefined;
  /** States held (those not yet known to be idle). */
  readonly size: number;
}
