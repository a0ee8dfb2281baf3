/**
 * Where rolling windows live. Like token buckets (bucket-store.ts), each operation is one atomic
 * step on one window (in memory: one synchronous read-modify-write; in SQLite: one transaction;
 * in Redis, later: one script), computed with the arithmetic of rolling-window.ts, so an order
 * decision is one round trip per policy and every process sharing a store shares the budgets in
 * it. Callers pass `now`, so processes sharing a store need synchronised clocks; a clock that
 * lags the newest spend frees nothing early and can never overdraw a window.
 */
import { advance, consume, emptyAt, refund, type WindowConsume, type WindowShape, type WindowState } from './rolling-window.js';

export interface RollingWindowStore {
  /** Advances the window `key` to `now`, then spends `units` if they all fit (else nothing). */
  consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume>;
  /** Advances the window to `now`, then gives back up to `units`, newest first. */
  refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState>;
  /** The window advanced to `now`, changing nothing. */
  read(key: string, shape: WindowShape, now: number): Promise<WindowState>;
}

export interface MemoryWindowStoreOptions {
  /** How often (ms, by the callers' clock) a call first forgets windows that have emptied. */
  sweepEveryMs?: number;
}

/**
 * Windows in this process's memory: the default for a single gateway process. An empty window is
 * the same as an absent one, so a window is forgotten once its last spend has left: a sweep at
 * most every `sweepEveryMs`, run by whichever call comes first, keeps memory bounded by the
 * accounts active in the last window plus the sweep interval.
 */
export class MemoryRollingWindowStore implements RollingWindowStore {
  readonly #windows = new Map<string, { state: WindowState; emptyAt: number }>();
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryWindowStoreOptions = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
  }

  /** Windows held (those not yet known to be empty). */
  get size(): number {
    return this.#windows.size;
  }

  async consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume> {
    this.#sweep(now);
    const result = consume(this.#windows.get(key)?.state, units, shape, now);
    if (result.fits) this.#keep(key, result.state, shape);
    return result;
  }

  async refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    this.#sweep(now);
    const state = refund(this.#windows.get(key)?.state, units, shape, now);
    this.#keep(key, state, shape);
    return state;
  }

  async read(key: string, shape: WindowShape, now: number): Promise<WindowState> {
    return advance(this.#windows.get(key)?.state, shape, now);
  }

  #keep(key: string, state: WindowState, shape: WindowShape): void {
    if (state.length === 0) this.#windows.delete(key);
    else this.#windows.set(key, { state, emptyAt: emptyAt(state, shape) });
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows) if (window.emptyAt <= now) this.#windows.delete(key);
  }
}
