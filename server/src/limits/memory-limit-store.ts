/**
 * Limit states in this process's memory: the default for a single gateway process. A step is one
 * synchronous read-modify-write, so it is atomic. A state that is the same as an absent one is
 * not kept, and one that has become so since its last step is forgotten by a sweep at most every
 * `sweepEveryMs`, run by whichever write comes first, so memory stays bounded by the keys active
 * in the last period plus the sweep interval, however many keys pass by.
 */
import type { Forgetting, LimitStateStore, Step } from './limit-state.js';

export interface MemoryLimitStoreOptions {
  /** How often (ms, by the callers' clock) a write first forgets states that have become idle. */
  sweepEveryMs?: number;
}

interface Entry<State> {
  state: State;
  idleAt: number;
}

export class MemoryLimitStore<State, Shape> implements LimitStateStore<State, Shape> {
  readonly #kind: Forgetting<State, Shape>;
  readonly #entries = new Map<string, Entry<State>>();
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(kind: Forgetting<State, Shape>, options: MemoryLimitStoreOptions = {}) {
    this.#kind = kind;
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
  }

  /** States held (those not yet known to be idle). */
  get size(): number {
    return this.#entries.size;
  }

  update<Result>(key: string, shape: Shape, now: number, step: (stored: State | undefined) => Step<Result, State>): Result {
    this.#sweep(now);
    const { result, next } = step(this.get(key));
    if (next === undefined) return result;
    if (this.#kind.isIdle(next, shape)) this.#entries.delete(key);
    else this.#entries.set(key, { state: next, idleAt: this.#kind.idleAt(next, shape) });
    return result;
  }

  get(key: string): State | undefined {
    return this.#entries.get(key)?.state;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) if (entry.idleAt <= now) this.#entries.delete(key);
  }
}
