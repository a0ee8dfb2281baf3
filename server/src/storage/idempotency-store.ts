/**
 * Remembers the response to a mutating request under its idempotency key, so that a retry gets
 * the original answer. Records live for a fixed window (24 h). The SQLite store keeps them across
 * a restart: a retry after a crash must not place a second order.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { SqliteDatabase } from './sqlite.js';

export interface IdempotencyRecord {
  /** Hash of what the request asked for; a retry with another fingerprint is a conflict. */
  fingerprint: string;
  status: number;
  /** The JSON response body. */
  body: string;
  createdAt: number;
}

/** Memory and SQLite answer at once; Redis (redis-idempotency-store.ts) after a round trip. */
export interface IdempotencyStore {
  /** The record stored under (scope, key) within the window before `now`, if any. */
  get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined>;
  put(scope: string, key: string, record: IdempotencyRecord): Promise<void>;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Expired records deleted per write: more than one, so sweeping always outpaces writing. */
export const SWEEP_BATCH = 16;

export class MemoryIdempotencyStore implements IdempotencyStore {
  /** Insertion order is creation order, so the expired records are at the front. */
  readonly #records = new Map<string, IdempotencyRecord>();

  async get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const record = this.#records.get(`${scope}\u0000${key}`);
    return record && now - record.createdAt < IDEMPOTENCY_WINDOW_MS ? record : undefined;
  }

  async put(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    const slot = `${scope}\u0000${key}`;
    this.#records.delete(slot); // a replaced record moves to the back, with its new time
    this.#records.set(slot, record);
    this.sweep(record.createdAt, SWEEP_BATCH);
  }

  /** Deletes at most `max` records expired at `now`; returns how many. */
  sweep(now: number, max: number): number {
    let deleted = 0;
    for (const [slot, r] of this.#records) {
      if (deleted >= max || now - r.createdAt < IDEMPOTENCY_WINDOW_MS) break;
      this.#records.delete(slot);
      deleted++;
    }
    return deleted;
  }

  get size(): number {
    return this.#records.size;
  }
}

/**
 * Records in SQLite, kept small: the response body is stored deflated. Each write sweeps at
 * most SWEEP_BATCH expired records through an index on their time (never a table scan), and
 * the file is in incremental auto-vacuum mode, so the pages they free go back to the file
 * system a few at a time instead of the file only ever growing.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #select;
  readonly #upsert;
  readonly #sweep;
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    useIncrementalVacuum(db);
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, key));
      CREATE INDEX IF NOT EXISTS idempotency_by_time ON idempotency (created_at)`);
    this.#select = db.prepare('SELECT fingerprint, status, body, created_at AS createdAt FROM idempotency WHERE scope = ? AND key = ? AND created_at > ?');
    this.#upsert = db.prepare('INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#sweep = db.prepare('DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE created_at <= ? ORDER BY created_at LIMIT ?)');
  }

  async get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const row = this.#select.get(scope, key, now - IDEMPOTENCY_WINDOW_MS) as (Omit<IdempotencyRecord, 'body'> & { body: string | Buffer }) | undefined;
    if (!row) return undefined;
    // Records written before bodies were deflated hold the text itself.
    return { ...row, body: typeof row.body === 'string' ? row.body : inflateRawSync(row.body).toString('utf8') };
  }

  async put(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    this.#upsert.run(scope, key, record.fingerprint, record.status, deflateRawSync(record.body), record.createdAt);
    this.sweep(record.createdAt, SWEEP_BATCH);
  }

  /** Deletes at most `max` records expired at `now` and returns the pages they freed to the file system; returns how many records. */
  sweep(now: number, max: number): number {
    const deleted = this.#sweep.run(now - IDEMPOTENCY_WINDOW_MS, max).changes;
    if (deleted > 0) this.#db.pragma(`incremental_vacuum(${max})`);
    return deleted;
  }
}

/** Switches the file to incremental auto-vacuum (a one-time VACUUM for a file created without it). */
function useIncrementalVacuum(db: SqliteDatabase): void {
  if (db.pragma('auto_vacuum', { simple: true }) === 2) return;
  db.pragma('auto_vacuum = INCREMENTAL');
  db.exec('VACUUM');
}
