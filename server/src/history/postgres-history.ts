/**
 * The history in PostgreSQL, shared by every gateway host: the same tables, queries, order and
 * cursors as the embedded store (queries.ts), and the write side that brings it up to the
 * embedded store's changes (see postgres-projection.ts). Every write is idempotent by event
 * sequence: fills and balance changes are keyed by seq, an order's row is only replaced by a
 * view of a later seq, and projected_seq moves forward in the same transaction as the rows.
 *
 * A query that cannot reach the database answers 503 SERVICE_UNAVAILABLE.
 */
import type { QueryResultRow } from 'pg';
import type { OrderRef, OrderView } from '../core/api.js';
import { ApiError } from '../errors/api-error.js';
import { inTransaction, type PostgresPool } from '../storage/postgres.js';
import { RETAINED_TABLES } from './archive.js';
import type { BalanceChangeRow, FillRow, HistoryChanges } from './changes.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  fillRecord, type BalanceChangeFilters, type BalanceChangeRecord, type FillFilters, type FillRecord, type OrderFilters, type Page, type TimeRange,
} from './queries.js';
import { checkLimit, Where, type Param } from './query-parts.js';
import type { HistoryReader } from './reader.js';

/** A history read refused because PostgreSQL cannot be reached (or the copy cannot catch up). */
export function historyUnavailable(detail: string): ApiError {
  return new ApiError({
    status: 503,
    code: 'SERVICE_UNAVAILABLE',
    detail: `The history store cannot be reached: ${detail}. Orders and trading are not affected; retry shortly.`,
    headers: { 'Retry-After': '1' },
  });
}

export class PostgresHistory implements HistoryReader {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  /** Sequence number of the last event in the store (0 when empty). */
  async projectedSeq(): Promise<number> {
    const { rows } = await this.#pool.query<{ value: number }>(`SELECT value FROM history_meta WHERE key = 'projected_seq'`);
    return rows[0]!.value;
  }

  /** Writes the changes and moves projected_seq up to theirs, in one transaction; rows already there are left as they are. */
  async apply(changes: HistoryChanges): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const { orders, fills, balanceChanges: balances } = changes;
      if (orders.length > 0) {
        await client.query(
          `INSERT INTO orders (order_id, account_id, client_order_id, symbol, status, created_at, first_seq, last_seq, view)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[])
           ON CONFLICT (order_id) DO UPDATE SET client_order_id = excluded.client_order_id, status = excluded.status, last_seq = excluded.last_seq, view = excluded.view
           WHERE orders.last_seq < excluded.last_seq`,
          [orders.map((o) => o.order_id), orders.map((o) => o.account_id), orders.map((o) => o.client_order_id), orders.map((o) => o.symbol),
            orders.map((o) => o.status), orders.map((o) => o.created_at), orders.map((o) => o.first_seq), orders.map((o) => o.last_seq), orders.map((o) => o.view)],
        );
      }
      if (fills.length > 0) {
        const column = <K extends keyof FillRow>(k: K) => fills.map((f) => f[k]);
        await client.query(
          `INSERT INTO fills (seq, account_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts, quote_id)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[])
           ON CONFLICT (seq) DO NOTHING`,
          [column('seq'), column('account_id'), column('order_id'), column('client_order_id'), column('symbol'), column('side'), column('trade_id'),
            column('price'), column('quantity'), column('liquidity'), column('fee'), column('fee_asset'), column('ts'), column('quote_id')],
        );
      }
      if (balances.length > 0) {
        const column = <K extends keyof BalanceChangeRow>(k: K) => balances.map((b) => b[k]);
        await client.query(
          `INSERT INTO balance_changes (seq, account_id, asset, total, available, hold, reason, ts)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
           ON CONFLICT (seq) DO NOTHING`,
          [column('seq'), column('account_id'), column('asset'), column('total'), column('available'), column('hold'), column('reason'), column('ts')],
        );
      }
      await client.query(`UPDATE history_meta SET value = $1 WHERE key = 'projected_seq' AND value < $1`, [changes.toSeq]);
    });
  }

  /**
   * Retention, as in the embedded store (archive.ts): deletes at most `batch` rows per table
   * older than `before` (finished orders only), in one transaction; returns how many (0: none left).
   */
  async prune(before: number, batch: number): Promise<number> {
    return inTransaction(this.#pool, async (client) => {
      let deleted = 0;
      for (const { table, where, key } of RETAINED_TABLES) {
        const result = await client.query(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where.replace('?', '$1')} LIMIT $2)`, [before, batch]);
        deleted += result.rowCount ?? 0;
      }
      return deleted;
    });
  }

  async listOrders(accountId: string, filters: OrderFilters = {}, cursor?: string, limit = 100): Promise<Page<OrderView>> {
    const where = new Where(true);
    where.add('account_id = ?', accountId);
    if (filters.symbol !== undefined) where.add('symbol = ?', filters.symbol);
    if (filters.status !== undefined) {
      if (filters.status.length === 0) return { items: [] };
      where.add(`status IN (${filters.status.map(() => '?').join(', ')})`, ...filters.status);
    }
    if (filters.from !== undefined) where.add('created_at >= ?', filters.from);
    if (filters.to !== undefined) where.add('created_at < ?', filters.to);
    return this.#page('orders', 'first_seq', 'first_seq AS seq, view', where, cursor, limit, (row: { seq: number; view: string }) => JSON.parse(row.view) as OrderView);
  }

  async getOrder(accountId: string, ref: OrderRef): Promise<OrderView | undefined> {
    const { rows } = await this.#query<{ view: string }>(
      ref.orderId !== undefined
        ? ['SELECT view FROM orders WHERE order_id = $1 AND account_id = $2', [ref.orderId, accountId]]
        : ['SELECT view FROM orders WHERE account_id = $1 AND client_order_id = $2 ORDER BY first_seq DESC LIMIT 1', [accountId, ref.clientOrderId ?? '']],
    );
    return rows[0] ? (JSON.parse(rows[0].view) as OrderView) : undefined;
  }

  async listFills(accountId: string, filters: FillFilters = {}, cursor?: string, limit = 100): Promise<Page<FillRecord>> {
    const where = new Where(true);
    where.add('account_id = ?', accountId);
    if (filters.symbol !== undefined) where.add('symbol = ?', filters.symbol);
    addTimeRange(where, filters);
    return this.#page('fills', 'seq', '*', where, cursor, limit, fillRecord);
  }

  async listBalanceChanges(accountId: string, filters: BalanceChangeFilters = {}, cursor?: string, limit = 100): Promise<Page<BalanceChangeRecord>> {
    const where = new Where(true);
    where.add('account_id = ?', accountId);
    if (filters.asset !== undefined) where.add('asset = ?', filters.asset);
    addTimeRange(where, filters);
    return this.#page('balance_changes', 'seq', '*', where, cursor, limit, (row: BalanceChangeRow) => ({
      seq: row.seq, accountId: row.account_id, asset: row.asset, total: row.total, available: row.available,
      hold: row.hold, reason: row.reason as BalanceChangeRecord['reason'], ts: row.ts,
    }));
  }

  async #page<Row extends { seq: number }, T>(
    table: string, seqColumn: string, columns: string, where: Where, cursor: string | undefined, limit: number, toItem: (row: Row) => T,
  ): Promise<Page<T>> {
    const pageSize = checkLimit(limit);
    if (cursor !== undefined) where.add(`${seqColumn} < ?`, decodeCursor(cursor));
    const { rows } = await this.#query<Row>([
      `SELECT ${columns} FROM ${table} WHERE ${where} ORDER BY ${seqColumn} DESC LIMIT $${where.params.length + 1}`,
      [...where.params, pageSize + 1],
    ]);
    const more = rows.length > pageSize;
    const pageRows = more ? rows.slice(0, pageSize) : rows;
    const items = pageRows.map(toItem);
    return more ? { items, nextCursor: encodeCursor(pageRows[pageRows.length - 1]!.seq) } : { items };
  }

  async #query<Row extends object>([sql, params]: [string, Param[]]): Promise<{ rows: Row[] }> {
    try {
      return await this.#pool.query<Row & QueryResultRow>(sql, params);
    } catch (error) {
      throw historyUnavailable(error instanceof Error ? error.message : String(error));
    }
  }
}

function addTimeRange(where: Where, range: TimeRange): void {
  if (range.from !== undefined) where.add('ts >= ?', range.from);
  if (range.to !== undefined) where.add('ts < ?', range.to);
}
