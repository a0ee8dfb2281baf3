/**
 * Rolling windows in a SQLite database, so gateway processes on one host share their order-rate
 * budgets: one immediate transaction per consume or refund (see SqliteLimitStore), a window a row
 * of the table `rolling_windows` with its spent buckets as a JSON list of [bucket, units] pairs.
 * Rows of windows that have emptied are deleted now and then.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import type { WindowState } from './rolling-window.js';
import { SqliteLimitStore, type SqliteLayout, type SqliteLimitStoreOptions } from './sqlite-limit-store.js';
import { ROLLING_WINDOWS, StoredRollingWindows } from './window-store.js';

export type SqliteWindowStoreOptions = SqliteLimitStoreOptions;

type WindowRow = { spent: string };

const WINDOW_ROWS: SqliteLayout<WindowState, WindowRow> = {
  table: 'rolling_windows',
  columns: { spent: 'TEXT' },
  idleAtColumn: 'empty_at',
  encode: (state) => ({ spent: JSON.stringify(state.map((s) => [s.bucket, s.units])) }),
  decode: (row) => (JSON.parse(row.spent) as [number, number][]).map(([bucket, units]) => ({ bucket, units })),
};

export class SqliteRollingWindowStore extends StoredRollingWindows {
  constructor(db: SqliteDatabase, options: SqliteWindowStoreOptions = {}) {
    super(ROLLING_WINDOWS, new SqliteLimitStore(db, ROLLING_WINDOWS, WINDOW_ROWS, options));
  }
}
