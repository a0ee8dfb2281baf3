/**
 * History older than a date: exported as JSON lines (an archive an operator keeps elsewhere)
 * and pruned in bounded batches. Only finished orders are ever taken (live ones stay, whatever
 * their age); fills and balance changes by their time. The trading core never reads the
 * history, so pruning it changes no balance or order; the journal still holds everything that
 * has not been retired.
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import { orderRow, type StoredOrderRow } from './changes.js';

const FINISHED = "('filled', 'canceled', 'expired', 'rejected')";

/** Each table's rows older than `before` (ms since the epoch, the one `?`), and the key that deletes one. The PostgreSQL history prunes by the same rule. */
export const RETAINED_TABLES = [
  { table: 'orders', where: `created_at < ? AND status IN ${FINISHED}`, key: 'order_id' },
  { table: 'fills', where: 'ts < ?', key: 'seq' },
  { table: 'balance_changes', where: 'ts < ?', key: 'seq' },
] as const;

export interface ArchiveCounts { orders: number; fills: number; balance_changes: number }

/**
 * Writes every row older than `before` as one JSON line `{"table", "row"}`; returns the counts.
 * An order's row is written with its view as JSON (`view`), as the change reader gives it.
 */
export function exportHistory(db: SqliteDatabase, before: number, write: (line: string) => void): ArchiveCounts {
  const counts: ArchiveCounts = { orders: 0, fills: 0, balance_changes: 0 };
  for (const { table, where } of RETAINED_TABLES) {
    for (const stored of db.prepare(`SELECT * FROM ${table} WHERE ${where} ORDER BY rowid`).iterate(before)) {
      const row = table === 'orders' ? orderRow(stored as StoredOrderRow) : stored;
      write(`${JSON.stringify({ table, row })}\n`);
      counts[table]++;
    }
  }
  return counts;
}

/** Deletes at most `batch` rows older than `before` from each table; returns how many in all (0: nothing left). */
export function pruneHistory(db: SqliteDatabase, before: number, batch: number): number {
  let deleted = 0;
  db.transaction(() => {
    for (const { table, where, key } of RETAINED_TABLES) {
      deleted += db.prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ?)`).run(before, batch).changes;
    }
  })();
  return deleted;
}
