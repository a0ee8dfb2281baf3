/**
 * What the embedded history gained after a given sequence number, read in one consistent
 * snapshot, so another store (PostgreSQL) can be brought up to the same point. Rows are as
 * stored: an order's row is its latest view (as JSON here; the embedded store keeps it packed),
 * fills (OTC quote fills among them) and balance changes are keyed by seq. (The quotes' own rows
 * are not carried: no history query reads them.)
 */
import type { SqliteDatabase } from '../storage/sqlite.js';
import { PACKED_ORDER_COLUMNS, unpackOrderView, type PackedOrderRow } from './packed-view.js';

export interface OrderRow {
  order_id: string; account_id: string; client_order_id: string | null; symbol: string; status: string;
  created_at: number; first_seq: number; last_seq: number; view: string;
}
/** An order's packed row as stored, with the span of sequence numbers that touched it. */
export interface StoredOrderRow extends PackedOrderRow {
  first_seq: number; last_seq: number;
}
export interface FillRow {
  seq: number; account_id: string; order_id: string; client_order_id: string | null; symbol: string; side: string;
  trade_id: number; price: string; quantity: string; liquidity: string; fee: string; fee_asset: string; ts: number;
  quote_id: string | null;
}
export interface BalanceChangeRow {
  seq: number; account_id: string; asset: string; total: string; available: string; hold: string; reason: string; ts: number;
}

export interface HistoryChanges {
  /** The changes cover every event up to this seq (inclusive). */
  toSeq: number;
  /** Orders created up to `toSeq` whose row changed after the starting seq (their latest view, which may be newer). */
  orders: OrderRow[];
  fills: FillRow[];
  balanceChanges: BalanceChangeRow[];
}

export class HistoryChangeReader {
  readonly #read: (afterSeq: number, maxSeqs: number) => HistoryChanges;
  readonly #projected: () => number;

  constructor(db: SqliteDatabase) {
    // Finds the orders changed after a seq; only this reader needs it, so it is made here.
    db.exec('CREATE INDEX IF NOT EXISTS orders_by_last_seq ON orders (last_seq)');
    const projected = db.prepare<[], { value: number }>(`SELECT value FROM history_meta WHERE key = 'projected_seq'`);
    this.#projected = () => projected.get()!.value;
    const orders = db.prepare<[number, number], StoredOrderRow>(
      `SELECT ${PACKED_ORDER_COLUMNS}, first_seq, last_seq FROM orders WHERE last_seq > ? AND first_seq <= ?`);
    const fills = db.prepare<[number, number], FillRow>('SELECT * FROM fills WHERE seq > ? AND seq <= ? ORDER BY seq');
    const balances = db.prepare<[number, number], BalanceChangeRow>('SELECT * FROM balance_changes WHERE seq > ? AND seq <= ? ORDER BY seq');
    // One read transaction: the rows and the projected seq are of the same commit.
    this.#read = db.transaction((afterSeq: number, maxSeqs: number) => {
      const toSeq = Math.min(projected.get()!.value, afterSeq + maxSeqs);
      if (toSeq <= afterSeq) return { toSeq: afterSeq, orders: [], fills: [], balanceChanges: [] };
      return {
        toSeq, orders: orders.all(afterSeq, toSeq).map(orderRow), fills: fills.all(afterSeq, toSeq), balanceChanges: balances.all(afterSeq, toSeq),
      };
    });
  }

  /** The seq the embedded history has reached, as committed (whichever connection wrote it). */
  projectedSeq(): number {
    return this.#projected();
  }

  /** Changes after `afterSeq`, covering at most `maxSeqs` sequence numbers. */
  since(afterSeq: number, maxSeqs: number): HistoryChanges {
    return this.#read(afterSeq, maxSeqs);
  }
}

/** An order's row with its view as JSON, the text `JSON.stringify` makes of the core's view. */
export function orderRow(row: StoredOrderRow): OrderRow {
  return {
    order_id: row.order_id, account_id: row.account_id, client_order_id: row.client_order_id, symbol: row.symbol, status: row.status,
    created_at: row.created_at, first_seq: row.first_seq, last_seq: row.last_seq, view: JSON.stringify(unpackOrderView(row)),
  };
}
