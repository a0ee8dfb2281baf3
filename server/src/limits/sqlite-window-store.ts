/**
 * Rolling windows in a SQLite database, so gateway processes on one host share their order-rate
 * budgets. Each consume or refund is one immediate transaction (the write lock is taken up front,
 * so two processes cannot both read a window and then both spend its last room). A window is one
 * row: its spent buckets as a JSON list of [bucket, units] pairs. Rows of windows that have
 * emptied are deleted now and then: an empty window is the same as an absent one.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import type { RollingWindowStore } from './window-store.js';
import { advance, consume, emptyAt, refund, type WindowConsume, type WindowShape, type WindowState } from './rolling-window.js';

export interface SqliteWindowStoreOptions {
  /** How often (ms, by the callers' clock) a write first deletes windows that have emptied. */
  sweepEveryMs?: number;
}

export class SqliteRollingWindowStore implements RollingWindowStore {
  readonly #consume: (key: string, units: number, shape: WindowShape, now: number) => WindowConsume;
  readonly #refund: (key: string, units: number, shape: WindowShape, now: number) => WindowState;
  readonly #select;
  readonly #sweepStatement;
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(db: SqliteDatabase, options: SqliteWindowStoreOptions = {}) {
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
    db.exec(`CREATE TABLE IF NOT EXISTS rolling_windows (
      key TEXT PRIMARY KEY, spent TEXT NOT NULL, empty_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS rolling_windows_empty_at ON rolling_windows (empty_at);`);
    this.#select = db.prepare<[string], { spent: string }>('SELECT spent FROM rolling_windows WHERE key = ?');
    const upsert = db.prepare<[string, string, number]>(
      'INSERT INTO rolling_windows (key, spent, empty_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET spent = excluded.spent, empty_at = excluded.empty_at',
    );
    const remove = db.prepare<[string]>('DELETE FROM rolling_windows WHERE key = ?');
    this.#sweepStatement = db.prepare<[number]>('DELETE FROM rolling_windows WHERE empty_at <= ?');

    const keep = (key: string, state: WindowState, shape: WindowShape) => {
      if (state.length === 0) remove.run(key);
      else upsert.run(key, JSON.stringify(state.map((s) => [s.bucket, s.units])), emptyAt(state, shape));
    };
    const consumeTx = db.transaction((key: string, units: number, shape: WindowShape, now: number) => {
      const result = consume(this.#stored(key), units, shape, now);
      if (result.fits) keep(key, result.state, shape);
      return result;
    });
    const refundTx = db.transaction((key: string, units: number, shape: WindowShape, now: number) => {
      const state = refund(this.#stored(key), units, shape, now);
      keep(key, state, shape);
      return state;
    });
    this.#consume = (...args) => consumeTx.immediate(...args);
    this.#refund = (...args) => refundTx.immediate(...args);
  }

  async consume(key: string, units: number, shape: WindowShape, now: number): Promise<WindowConsume> {
    this.#sweep(now);
    return this.#consume(key, units, shape, now);
  }

  async refund(key: string, units: number, shape: WindowShape, now: number): Promise<WindowState> {
    this.#sweep(now);
    return this.#refund(key, units, shape, now);
  }

  async read(key: string, shape: WindowShape, now: number): Promise<WindowState> {
    return advance(this.#stored(key), shape, now);
  }

  #stored(key: string): WindowState | undefined {
    const row = this.#select.get(key);
    if (row === undefined) return undefined;
    return (JSON.parse(row.spent) as [number, number][]).map(([bucket, units]) => ({ bucket, units }));
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    this.#sweepStatement.run(now);
  }
}
