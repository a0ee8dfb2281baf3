/**
 * Remembers the response to a mutating request under its idempotency key, so that a retry gets
 * the original answer. Records live for a fixed window (24 h). The SQLite store keeps them across
 * a restart: a retry after a crash must not place a second order.
 */
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

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #records = new Map<string, IdempotencyRecord>();

  async get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const record = this.#records.get(`${scope}\u0000${key}`);
    return record && now - record.createdAt < IDEMPOTENCY_WINDOW_MS ? record : undefined;
  }

  async put(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    this.#records.set(`${scope}\u0000${key}`, record);
    if (this.#records.size % 1024 === 0) this.#purge(record.createdAt);
  }

  #purge(now: number): void {
    for (const [k, r] of this.#records) if (now - r.createdAt >= IDEMPOTENCY_WINDOW_MS) this.#records.delete(k);
  }
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #select;
  readonly #upsert;
  readonly #purge;
  #writes = 0;

  constructor(db: SqliteDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (scope, key))`);
    this.#select = db.prepare('SELECT fingerprint, status, body, created_at AS createdAt FROM idempotency WHERE scope = ? AND key = ? AND created_at > ?');
    this.#upsert = db.prepare('INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#purge = db.prepare('DELETE FROM idempotency WHERE created_at <= ?');
  }

  async get(scope: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return this.#select.get(scope, key, now - IDEMPOTENCY_WINDOW_MS) as IdempotencyRecord | undefined;
  }

  async put(scope: string, key: string, record: IdempotencyRecord): Promise<void> {
    this.#upsert.run(scope, key, record.fingerprint, record.status, record.body, record.createdAt);
    if (++this.#writes % 1024 === 0) this.#purge.run(record.createdAt - IDEMPOTENCY_WINDOW_MS);
  }
}
