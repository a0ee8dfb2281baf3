/**
 * Projects core events into the history tables. Each call is one transaction that also records
 * the last projected sequence number, so after a crash the projection resumes exactly where
 * its last commit ended: events at or below that number are skipped, never applied twice.
 */
import type { CoreEvent, OrderView } from '../core/api.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../storage/sqlite.js';

export class HistoryProjection {
  private readonly insertOrder;
  private readonly updateOrder;
  private readonly updateAmendedOrder;
  private readonly insertFill;
  private readonly insertBalanceChange;
  private readonly saveSeq;
  private readonly projectBatch;
  private seq: number;

  constructor(db: SqliteDatabase) {
    this.seq = (db.prepare(`SELECT value FROM history_meta WHERE key = 'projected_seq'`).get() as { value: number }).value;
    this.insertOrder = db.prepare(`
      INSERT INTO orders (order_id, account_id, client_order_id, symbol, status, created_at, first_seq, last_seq, view)
      VALUES (@orderId, @accountId, @clientOrderId, @symbol, @status, @createdAt, @seq, @seq, @view)`);
    // Only an amend can change the client order id; leaving it out of the other updates spares its index.
    this.updateOrder = db.prepare(`UPDATE orders SET status = @status, last_seq = @seq, view = @view WHERE order_id = @orderId`);
    this.updateAmendedOrder = db.prepare(`
      UPDATE orders SET client_order_id = @clientOrderId, status = @status, last_seq = @seq, view = @view WHERE order_id = @orderId`);
    this.insertFill = db.prepare(`
      INSERT INTO fills (seq, account_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts)
      VALUES (@seq, @accountId, @orderId, @clientOrderId, @symbol, @side, @tradeId, @price, @quantity, @liquidity, @fee, @feeAsset, @ts)`);
    this.insertBalanceChange = db.prepare(`
      INSERT INTO balance_changes (seq, account_id, asset, total, available, hold, reason, ts)
      VALUES (@seq, @accountId, @asset, @total, @available, @hold, @reason, @ts)`);
    this.saveSeq = db.prepare(`UPDATE history_meta SET value = ? WHERE key = 'projected_seq'`);
    this.projectBatch = db.transaction((events: readonly CoreEvent[]) => {
      let last = this.seq;
      for (const event of events) {
        if (event.seq <= last) continue;
        this.projectEvent(event);
        last = event.seq;
      }
      if (last !== this.seq) this.saveSeq.run(last);
      return last;
    });
  }

  /** The sequence number of the last event projected (0 when none). */
  get projectedSeq(): number {
    return this.seq;
  }

  /** Projects events in sequence order; those at or below `projectedSeq` are skipped. */
  project(events: readonly CoreEvent[]): void {
    if (events.length === 0 || events[events.length - 1]!.seq <= this.seq) return;
    this.seq = this.projectBatch(events);
  }

  private projectEvent(event: CoreEvent): void {
    switch (event.type) {
      case 'OrderAccepted':
        this.insertOrder.run(this.orderRow(event.seq, event.order));
        return;
      case 'OrderAmended':
        this.saveOrder(this.updateAmendedOrder, event.seq, event.order);
        return;
      case 'OrderCanceled':
        this.saveOrder(this.updateOrder, event.seq, event.order);
        return;
      case 'OrderFilled':
        this.saveOrder(this.updateOrder, event.seq, event.order);
        this.insertFill.run({
          seq: event.seq, accountId: event.order.accountId, orderId: event.order.orderId,
          clientOrderId: event.order.clientOrderId ?? null, symbol: event.order.symbol, side: event.order.side,
          tradeId: event.tradeId, price: event.price, quantity: event.quantity, liquidity: event.liquidity,
          fee: event.fee, feeAsset: event.feeAsset, ts: event.ts,
        });
        return;
      case 'BalanceChanged':
        // The ledger: movements of the total. Holds and releases only move funds between available and hold.
        if (event.reason === 'order_hold' || event.reason === 'order_release') return;
        this.insertBalanceChange.run({
          seq: event.seq, accountId: event.accountId, asset: event.asset, total: event.total,
          available: event.available, hold: event.hold, reason: event.reason, ts: event.ts,
        });
        return;
      default:
        return;
    }
  }

  /** Updates the order's row; inserts it if the store never saw it accepted (after a history gap). */
  private saveOrder(update: Statement, seq: number, order: OrderView): void {
    const row = this.orderRow(seq, order);
    if (update.run(row).changes === 0) this.insertOrder.run(row);
  }

  private orderRow(seq: number, order: OrderView) {
    return {
      orderId: order.orderId, accountId: order.accountId, clientOrderId: order.clientOrderId ?? null,
      symbol: order.symbol, status: order.status, createdAt: order.createdAt, seq, view: JSON.stringify(order),
    };
  }
}
