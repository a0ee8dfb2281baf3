/**
 * Where rolling windows live. Like token buckets (bucket-store.ts), each operation is one atomic
 * step on one window (in memory: one synchronous read-modify-write; in SQLite: one transaction;
 * in Redis, later: one script), computed with the arithmetic of rolling-window.ts, so an order
 * decision is one round trip per policy and every process sharing a store shares the budgets in
 * it. Callers pass `now`, so processes sharing a store need synchronised clocks; a clock that
 * lags the newest spend frees nothing early and can never overdraw a window.
 */
import type { LimitKind } from './limit-state.js';
import { MemoryLimitStore, type MemoryLimitStoreOptions } from './memory-limit-store.js';
import { advance, consume, emptyAt, refund, type WindowConsume, type WindowShape, type WindowState } from './rolling-window.js';
import { StoredLimits } from './stored-limits.js';

export interface RollingWindowStore {
  /** Advances the window `key` to `now`, then spends `units` if they all fit (else nothing). */
  consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume>;
  /** Advances the window to `now`, then gives back up to `units`, newest first. */
  refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState>;
  /** The window advanced to `now`, changing nothing. */
  read(key: string, shape: WindowShape, now: number): Promise<WindowState>;
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

export type MemoryWindowStoreOptions = MemoryLimitStoreOptions;

/** A RollingWindowStore over the window states of a LimitStateStore (memory, SQLite). */
export class StoredRollingWindows extends StoredLimits<WindowState, WindowShape, WindowConsume> implements RollingWindowStore {
  consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume> {
    return this.spend(key, units, shape, now);
  }

  refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    return this.giveBack(key, units, shape, now);
  }
}

/**
 * Windows in this process's memory: the default for a single gateway process. A window is
 * forgotten once its last spend has left, by a sweep that looks at a few windows at each write
 * (see MemoryLimitStore), so memory stays bounded by the accounts active lately.
 */
export class MemoryRollingWindowStore extends StoredRollingWindows {
  constructor(options: MemoryWindowStoreOptions = {}) {
    super(ROLLING_WINDOWS, new MemoryLimitStore(ROLLING_WINDOWS, options));
  }
}
