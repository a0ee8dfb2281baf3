/**
 * Limit states in a SQLite database, so gateway processes on one host share their budgets. A kind
 * has one table, a row per key. Each step is one immediate transaction (the write lock is taken up
 * front, so two processes cannot both read a state and then both spend it). Rows of states that
 * have become idle are deleted now and then: an idle state is the same as an absent one.
 * Token buckets are rows of `token_buckets`; rolling windows rows of `rolling_windows`, their spent
 * buckets a JSON list of [bucket, units] pairs.
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../storage/sqlite.js';
import { ROLLING_WINDOWS, StoredRollingWindows, StoredTokenBuckets, TOKEN_BUCKETS, type Forgetting, type LimitStateStore, type Step } from './limit-store.js';
import type { WindowState } from './rolling-window.js';
import type { BucketState } from './token-bucket.js';

/** Column values of a state's row, by column name. */
export type RowValues = Record<string, number | string>;

/** How a kind's states are laid out in its table. */
export interface SqliteLayout<State, Row extends RowValues> {
  table: string;
  /** The columns holding a state, with their SQL types (besides `key`, and `idleAtColumn`). */
  columns: { [Column in keyof Row]: 'INTEGER' | 'TEXT' };
  /** The indexed column holding when the row becomes deletable (the kind's `idleAt`). */
  idleAtColumn: string;
  encode(state: State): Row;
  decode(row: Row): State;
}

export interface SqliteLimitStoreOptions {
  /** How often (ms, by the callers' clock) a write first deletes the rows of idle states. */
  sweepEveryMs?: number;
}

export class SqliteLimitStore<State, Shape, Row extends RowValues> implements LimitStateStore<State, Shape> {
  readonly #kind: Forgetting<State, Shape>;
  readonly #layout: SqliteLayout<State, Row>;
  readonly #select: Statement<[string], Row>;
  readonly #upsert: Statement<[RowValues]>;
  readonly #remove: Statement<[string]>;
  readonly #deleteIdle: Statement<[number]>;
  readonly #count: Statement<[], { n: number }>;
  readonly #immediate: <T>(work: () => T) => T;
  readonly #sweepEveryMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(db: SqliteDatabase, kind: Forgetting<State, Shape>, layout: SqliteLayout<State, Row>, options: SqliteLimitStoreOptions = {}) {
    this.#kind = kind;
    this.#layout = layout;
    this.#sweepEveryMs = options.sweepEveryMs ?? 60_000;
    const { table, idleAtColumn } = layout;
    const columns = Object.keys(layout.columns) as (keyof Row & string)[];
    const written = [...columns, idleAtColumn];
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT PRIMARY KEY, ${columns.map((c) => `${c} ${layout.columns[c]} NOT NULL`).join(', ')}, ${idleAtColumn} INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${table}_${idleAtColumn} ON ${table} (${idleAtColumn});`);
    this.#select = db.prepare<[string], Row>(`SELECT ${columns.join(', ')} FROM ${table} WHERE key = ?`);
    this.#upsert = db.prepare<[RowValues]>(
      `INSERT INTO ${table} (key, ${written.join(', ')}) VALUES (@key, ${written.map((c) => `@${c}`).join(', ')}) ` +
        `ON CONFLICT (key) DO UPDATE SET ${written.map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
    this.#remove = db.prepare<[string]>(`DELETE FROM ${table} WHERE key = ?`);
    this.#deleteIdle = db.prepare<[number]>(`DELETE FROM ${table} WHERE ${idleAtColumn} <= ?`);
    this.#count = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`);
    const transaction = db.transaction((work: () => unknown) => work());
    this.#immediate = <T>(work: () => T) => transaction.immediate(work) as T;
  }

  update<Result>(key: string, shape: Shape, now: number, step: (stored: State | undefined) => Step<Result, State>): Result {
    this.#sweep(now);
    return this.#immediate(() => {
      const { result, next } = step(this.get(key));
      if (next !== undefined) this.#put(key, shape, next);
      return result;
    });
  }

  /** One immediate transaction for all the entries, as `update` has for one. */
  updateAll<Result>(entries: readonly { key: string; shape: Shape }[], now: number, step: (stored: readonly (State | undefined)[]) => Step<Result, readonly State[]>): Result {
    this.#sweep(now);
    return this.#immediate(() => {
      const { result, next } = step(entries.map(({ key }) => this.get(key)));
      next?.forEach((state, i) => this.#put(entries[i]!.key, entries[i]!.shape, state));
      return result;
    });
  }

  #put(key: string, shape: Shape, next: State): void {
    if (this.#kind.isIdle(next, shape)) this.#remove.run(key);
    else this.#upsert.run({ ...this.#layout.encode(next), key, [this.#layout.idleAtColumn]: this.#kind.idleAt(next, shape) });
  }

  get(key: string): State | undefined {
    const row = this.#select.get(key);
    return row === undefined ? undefined : this.#layout.decode(row);
  }

  /** Rows held (a count: for tests and diagnostics, not for the request path). */
  get size(): number {
    return this.#count.get()!.n;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    this.#deleteIdle.run(now);
  }
}

export type SqliteBucketStoreOptions = SqliteLimitStoreOptions;

type BucketRow = { grains: number; at: number };

const BUCKET_ROWS: SqliteLayout<BucketState, BucketRow> = {
  table: 'token_buckets',
  columns: { grains: 'INTEGER', at: 'INTEGER' },
  idleAtColumn: 'full_at',
  encode: ({ grains, at }) => ({ grains, at }),
  decode: ({ grains, at }) => ({ grains, at }),
};

/** Token buckets in SQLite: one immediate transaction per take (of one bucket or several) or give-back. */
export class SqliteTokenBucketStore extends StoredTokenBuckets {
  constructor(db: SqliteDatabase, options: SqliteBucketStoreOptions = {}) {
    super(TOKEN_BUCKETS, new SqliteLimitStore(db, TOKEN_BUCKETS, BUCKET_ROWS, options));
  }
}

export type SqliteWindowStoreOptions = SqliteLimitStoreOptions;

type WindowRow = { spent: string };

const WINDOW_ROWS: SqliteLayout<WindowState, WindowRow> = {
  table: 'rolling_windows',
  columns: { spent: 'TEXT' },
  idleAtColumn: 'empty_at',
  encode: (state) => ({ spent: JSON.stringify(state.map((s) => [s.bucket, s.units])) }),
  decode: (row) => (JSON.parse(row.spent) as [number, number][]).map(([bucket, units]) => ({ bucket, units })),
};

/** Rolling windows in SQLite: one immediate transaction per consume (in one window or several) or refund. */
export class SqliteRollingWindowStore extends StoredRollingWindows {
  constructor(db: SqliteDatabase, options: SqliteWindowStoreOptions = {}) {
    super(ROLLING_WINDOWS, new SqliteLimitStore(db, ROLLING_WINDOWS, WINDOW_ROWS, options));
  }
}
