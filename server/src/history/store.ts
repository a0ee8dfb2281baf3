/**
 * The durable history of orders, fills and balance changes, projected from core events into
 * SQLite. Memory does not grow with history: queries page through indexed tables.
 */
import { pruneHistory } from './archive.js';
import type { CoreEvent, OrderRef, OrderView, QuoteView } from '../core/api.js';
import { openDatabase, type SqliteDatabase } from '../storage/sqlite.js';
import { HistoryChangeReader } from './changes.js';
import { HistoryProjection } from './projection.js';
import {
  HistoryQueries, type BalanceChangeFilters, type BalanceChangeRecord, type FillFilters, type FillRecord, type OrderFilters, type Page,
} from './queries.js';
import { createHistorySchema } from './schema.js';

export class HistoryStore {
  private readonly projection: HistoryProjection;
  private readonly queries: HistoryQueries;

  constructor(private readonly db: SqliteDatabase) {
    createHistorySchema(db);
    this.projection = new HistoryProjection(db);
    this.queries = new HistoryQueries(db);
  }

  /** Sequence number of the last event in the store (0 when empty). */
  get projectedSeq(): number {
    return this.projection.projectedSeq;
  }

  /** Adds events (in sequence order) in one transaction; already projected ones are skipped. */
  project(events: readonly CoreEvent[]): void {
    this.projection.project(events);
  }

  listOrders(accountId: string, filters: OrderFilters = {}, cursor?: string, limit = 100): Page<OrderView> {
    return this.queries.listOrders(accountId, filters, cursor, limit);
  }

  getOrder(accountId: string, ref: OrderRef): OrderView | undefined {
    return this.queries.getOrder(accountId, ref);
  }

  listFills(accountId: string, filters: FillFilters = {}, cursor?: string, limit = 100): Page<FillRecord> {
    return this.queries.listFills(accountId, filters, cursor, limit);
  }

  listQuotes(accountId: string, cursor?: string, limit = 100): Page<QuoteView> {
    return this.queries.listQuotes(accountId, cursor, limit);
  }

  getQuote(accountId: string, quoteId: string): QuoteView | undefined {
    return this.queries.getQuote(accountId, quoteId);
  }

  listQuoteTrades(accountId: string, cursor?: string, limit = 100): Page<FillRecord> {
    return this.queries.listQuoteTrades(accountId, cursor, limit);
  }

  listBalanceChanges(accountId: string, filters: BalanceChangeFilters = {}, cursor?: string, limit = 100): Page<BalanceChangeRecord> {
    return this.queries.listBalanceChanges(accountId, filters, cursor, limit);
  }

  /** Reads what this store gained after a seq, to bring another store (PostgreSQL) up to it. */
  changeReader(): HistoryChangeReader {
    return new HistoryChangeReader(this.db);
  }

  /** Deletes at most `batch` rows per table older than `before` (finished orders only); 0 when none is left. See archive.ts. */
  prune(before: number, batch: number): number {
    return pruneHistory(this.db, before, batch);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Opens the history database at `file` (or `':memory:'`). It can be rebuilt from the journal,
 * so commits are not synced to disk individually (WAL with synchronous = NORMAL): a process
 * crash loses nothing, and after a power loss the projection catches up from the journal.
 * A larger page cache and fewer WAL checkpoints roughly halve the cost of each projected row.
 */
export function openHistoryStore(file: string): HistoryStore {
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  return new HistoryStore(db);
}
