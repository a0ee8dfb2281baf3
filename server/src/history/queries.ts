/**
 * Read side of the history store: newest first, cursor-paginated, filtered in SQL so that
 * neither the store nor the caller holds more than one page in memory.
 */
import type { BalanceChanged, Decimal, Liquidity, Millis, OrderRef, OrderStatus, OrderView, QuoteView, Side } from '../core/api.js';
import type { SqliteDatabase } from '../storage/sqlite.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { PACKED_ORDER_COLUMNS, unpackOrderView, type PackedOrderRow } from './packed-view.js';
import { checkLimit, Where } from './query-parts.js';

export { MAX_PAGE_LIMIT } from './query-parts.js';

export interface Page<T> {
  items: T[];
  /** Present when more items may follow; pass it back to get the next page. */
  nextCursor?: string;
}

/** Time bounds: `from` inclusive, `to` exclusive, both epoch milliseconds. */
export interface TimeRange {
  from?: Millis;
  to?: Millis;
}

export interface OrderFilters extends TimeRange {
  symbol?: string;
  /** Any of these statuses. */
  status?: readonly OrderStatus[];
}

export interface FillFilters extends TimeRange {
  symbol?: string;
}

export interface BalanceChangeFilters extends TimeRange {
  asset?: string;
}

export interface FillRecord {
  seq: number;
  tradeId: number;
  accountId: string;
  orderId: string;
  clientOrderId?: string;
  symbol: string;
  side: Side;
  price: Decimal;
  quantity: Decimal;
  liquidity: Liquidity;
  fee: Decimal;
  feeAsset: string;
  /** The OTC quote the fill executed, if any. */
  quoteId?: string;
  ts: Millis;
}

export interface BalanceChangeRecord {
  seq: number;
  accountId: string;
  asset: string;
  total: Decimal;
  available: Decimal;
  hold: Decimal;
  reason: BalanceChanged['reason'];
  ts: Millis;
}

export class HistoryQueries {
  constructor(private readonly db: SqliteDatabase) {}

  listOrders(accountId: string, filters: OrderFilters, cursor: string | undefined, limit: number): Page<OrderView> {
    const where = new Where();
    where.add('account_id = ?', accountId);
    if (filters.symbol !== undefined) where.add('symbol = ?', filters.symbol);
    if (filters.status !== undefined) {
      if (filters.status.length === 0) return { items: [] };
      where.add(`status IN (${filters.status.map(() => '?').join(', ')})`, ...filters.status);
    }
    if (filters.from !== undefined) where.add('created_at >= ?', filters.from);
    if (filters.to !== undefined) where.add('created_at < ?', filters.to);
    return this.page('orders', 'first_seq', `first_seq AS seq, ${PACKED_ORDER_COLUMNS}`, where, cursor, limit,
      (row: PackedOrderRow & { seq: number }) => unpackOrderView(row));
  }

  /** One order by the core's id or the client's id (the most recent order with that client id). */
  getOrder(accountId: string, ref: OrderRef): OrderView | undefined {
    const row = ref.orderId !== undefined
      ? this.db.prepare(`SELECT ${PACKED_ORDER_COLUMNS} FROM orders WHERE order_id = ? AND account_id = ?`).get(ref.orderId, accountId)
      : this.db.prepare(`SELECT ${PACKED_ORDER_COLUMNS} FROM orders WHERE account_id = ? AND client_order_id = ? ORDER BY first_seq DESC LIMIT 1`)
        .get(accountId, ref.clientOrderId);
    return row ? unpackOrderView(row as PackedOrderRow) : undefined;
  }

  listFills(accountId: string, filters: FillFilters, cursor: string | undefined, limit: number): Page<FillRecord> {
    const where = new Where();
    where.add('account_id = ?', accountId);
    if (filters.symbol !== undefined) where.add('symbol = ?', filters.symbol);
    addTimeRange(where, filters);
    return this.page('fills', 'seq', '*', where, cursor, limit, fillRecord);
  }

  /** The account's quotes (one per answered RFQ), newest first, each in its latest state. */
  listQuotes(accountId: string, cursor: string | undefined, limit: number): Page<QuoteView> {
    const where = new Where();
    where.add('account_id = ?', accountId);
    return this.page('quotes', 'quote_id', 'quote_id AS seq, view', where, cursor, limit, (row: { seq: number; view: string }) => JSON.parse(row.view) as QuoteView);
  }

  getQuote(accountId: string, quoteId: string): QuoteView | undefined {
    const row = this.db.prepare(`SELECT view FROM quotes WHERE quote_id = ? AND account_id = ?`).get(Number(quoteId), accountId) as { view: string } | undefined;
    return row ? (JSON.parse(row.view) as QuoteView) : undefined;
  }

  /** The account's fills of executed quotes, newest first. */
  listQuoteTrades(accountId: string, cursor: string | undefined, limit: number): Page<FillRecord> {
    const where = new Where();
    where.add('account_id = ?', accountId);
    where.add('quote_id IS NOT NULL');
    return this.page('fills', 'seq', '*', where, cursor, limit, fillRecord);
  }

  listBalanceChanges(accountId: string, filters: BalanceChangeFilters, cursor: string | undefined, limit: number): Page<BalanceChangeRecord> {
    const where = new Where();
    where.add('account_id = ?', accountId);
    if (filters.asset !== undefined) where.add('asset = ?', filters.asset);
    addTimeRange(where, filters);
    return this.page('balance_changes', 'seq', '*', where, cursor, limit, (row: BalanceRow) => ({
      seq: row.seq, accountId: row.account_id, asset: row.asset, total: row.total, available: row.available,
      hold: row.hold, reason: row.reason, ts: row.ts,
    }));
  }

  private page<Row extends { seq: number }, T>(
    table: string, seqColumn: string, columns: string, where: Where, cursor: string | undefined, limit: number, toItem: (row: Row) => T,
  ): Page<T> {
    const pageSize = checkLimit(limit);
    if (cursor !== undefined) where.add(`${seqColumn} < ?`, decodeCursor(cursor));
    // One row more than asked tells whether another page exists without a second query.
    const rows = this.db
      .prepare(`SELECT ${columns} FROM ${table} WHERE ${where} ORDER BY ${seqColumn} DESC LIMIT ?`)
      .all(...where.params, pageSize + 1) as Row[];
    const more = rows.length > pageSize;
    const pageRows = more ? rows.slice(0, pageSize) : rows;
    const items = pageRows.map(toItem);
    return more ? { items, nextCursor: encodeCursor(pageRows[pageRows.length - 1]!.seq) } : { items };
  }
}

function addTimeRange(where: Where, range: TimeRange): void {
  if (range.from !== undefined) where.add('ts >= ?', range.from);
  if (range.to !== undefined) where.add('ts < ?', range.to);
}

interface FillRow {
  seq: number; account_id: string; order_id: string; client_order_id: string | null; symbol: string; side: Side;
  trade_id: number; price: string; quantity: string; liquidity: Liquidity; fee: string; fee_asset: string; ts: number;
  quote_id: string | null;
}

/** A row of `fills` (SQLite or PostgreSQL) as the API's record. */
export function fillRecord(row: FillRow): FillRecord {
  return {
    seq: row.seq, tradeId: row.trade_id, accountId: row.account_id, orderId: row.order_id,
    ...(row.client_order_id !== null ? { clientOrderId: row.client_order_id } : {}),
    symbol: row.symbol, side: row.side, price: row.price, quantity: row.quantity, liquidity: row.liquidity,
    fee: row.fee, feeAsset: row.fee_asset, ...(row.quote_id !== null && { quoteId: row.quote_id }), ts: row.ts,
  };
}

interface BalanceRow {
  seq: number; account_id: string; asset: string; total: string; available: string; hold: string;
  reason: BalanceChanged['reason']; ts: number;
}
