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

  /**
   * Adds events (in sequence order) in one transaction; already projected ones are skipped.
   * `throughSeq`: the seq the store has then reached, when the caller left out events of types
   * it does not keep (see PROJECTED_EVENT_TYPES) after the last one given.
   */
  project(events: readonly CoreEvent[], throughSeq?: number): void {
    this.projection.project(events, throughSeq);
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

  /**
   * Copies the WAL's pages into the database file now, without waiting for readers (SQLite's
   * PASSIVE checkpoint), and syncs it. Returns the WAL's pages and how many of them were copied.
   */
  checkpoint(): { walPages: number; checkpointedPages: number } {
    const [result] = this.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return { walPages: result?.log ?? 0, checkpointedPages: result?.checkpointed ?? 0 };
  }

  close(): void {
    this.db.close();
  }
}

/** WAL pages after which a commit checkpoints them into the database file (SQLite's `wal_autocheckpoint`). */
export const HISTORY_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Opens the history database at `file` (or `':memory:'`).
 *
 * Commits are not synced one by one (WAL with synchronous = NORMAL): the journal holds every
 * command the projection has not yet made safe, so a process crash loses nothing and after a
 * power loss the last commits are projected again from the journal. Checkpoints are still
 * synced, and that stays: the journal reaches back only to the oldest kept snapshot, so the
 * older history exists nowhere else, and synchronous = OFF would let a power loss during a
 * checkpoint corrupt it. Those syncs do stall journal syncs on the same device (up to tens of
 * milliseconds each, every 40 MB of WAL); smaller checkpoints shorten each stall but cost the
 * projection more CPU per command (docs/benchmarks.md, Durability), so the pages per checkpoint
 * stay many under load; the replica checkpoints by itself, small, whenever it is idle
 * (sequencer/replica-worker.ts), so at a light load the large automatic checkpoint does not come.
 * A larger page cache and fewer checkpoints roughly halve the cost of each row.
 */
export function openHistoryStore(file: string, options: { walAutocheckpointPages?: number } = {}): HistoryStore {
  const db = openDatabase(file, { synchronous: 'NORMAL' });
  db.pragma('cache_size = -65536');
  db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? HISTORY_WAL_AUTOCHECKPOINT_PAGES}`);
  return new HistoryStore(db);
}
