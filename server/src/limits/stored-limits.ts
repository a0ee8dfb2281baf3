/**
 * The operations of a limit store (TokenBucketStore, RollingWindowStore) for any kind of limit,
 * each one atomic step of the kind's arithmetic on the states kept in a LimitStateStore (memory,
 * SQLite). A kind's store only gives these operations the names of its interface.
 */
import type { LimitKind, LimitStateStore } from './limit-state.js';

export class StoredLimits<State, Shape, Spend extends { state: State }> {
  readonly #kind: LimitKind<State, Shape, Spend>;
  readonly #states: LimitStateStore<State, Shape>;

  constructor(kind: LimitKind<State, Shape, Spend>, states: LimitStateStore<State, Shape>) {
    this.#kind = kind;
    this.#states = states;
  }

  /** Brings the state of `key` to `now`, then spends `units` if they all fit (else nothing). */
  async spend(key: string, units: number, shape: Shape, now: number): Promise<Spend> {
    return this.#states.update(key, shape, now, (stored) => {
      const result = this.#kind.spend(stored, units, shape, now);
      return this.#kind.fitted(result) ? { result, next: result.state } : { result };
    });
  }

  /** Brings the state of `key` to `now`, then gives back up to `units`. */
  async giveBack(key: string, units: number, shape: Shape, now: number): Promise<State> {
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
