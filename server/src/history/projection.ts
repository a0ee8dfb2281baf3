/**
 * Projects core events into the history tables. Each call is one transaction that also records
 * the last projected sequence number, so after a crash the projection resumes exactly where
 * its last commit ended: events at or below that number are skipped, never applied twice.
 *
 * An order's row holds its latest view, packed (packed-view.ts). Within one call, an order's
 * events are folded into a single insert or update (an order often rests, fills and is done
 * within one batch).
 */
import type { BalanceChanged, CoreEvent, OrderView } from '../core/api.js';
import type { SqliteDatabase } from '../storage/sqlite.js';
import { packOrderView } from './packed-view.js';

/** The event types the history keeps something of; every other type is skipped (a caller may leave them out). */
export const PROJECTED_EVENT_TYPES: ReadonlySet<CoreEvent['type']> = new Set<CoreEvent['type']>([
  'OrderAccepted', 'OrderAmended', 'OrderTriggered', 'OrderCanceled', 'OrderFilled', 'QuoteIssued', 'QuoteClosed', 'BalanceChanged',
]);

/** The ledger keeps movements of the total; holds and releases only move funds between available and hold. */
export function isLedgerMovement(reason: BalanceChanged['reason']): boolean {
  return reason !== 'order_hold' && reason !== 'order_release';
}

interface OrderChange {
  order: OrderView;
  /** Seq of its OrderAccepted, when that is in this call (the row is new). */
  acceptedSeq?: number;
  firstSeq: number;
  lastSeq: number;
  /** An amend can change the client order id, which is indexed; other updates leave it alone. */
  amended: boolean;
}

export class HistoryProjection {
  private readonly insertOrder;
  private readonly updateOrder;
  private readonly updateAmendedOrder;
  private readonly insertFill;
  private readonly insertBalanceChange;
  private readonly upsertQuote;
  private readonly saveSeq;
  private readonly projectBatch;
  private seq: number;

  constructor(db: SqliteDatabase) {
    this.seq = (db.prepare(`SELECT value FROM history_meta WHERE key = 'projected_seq'`).get() as { value: number }).value;
    this.insertOrder = db.prepare(`
      INSERT INTO orders (order_id, account_id, client_order_id, symbol, status, created_at, first_seq, last_seq, packed_view)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.updateOrder = db.prepare(`UPDATE orders SET status = ?, last_seq = ?, packed_view = ? WHERE order_id = ?`);
    this.updateAmendedOrder = db.prepare(`UPDATE orders SET client_order_id = ?, status = ?, last_seq = ?, packed_view = ? WHERE order_id = ?`);
    this.insertFill = db.prepare(`
      INSERT INTO fills (seq, account_id, order_id, client_order_id, symbol, side, trade_id, price, quantity, liquidity, fee, fee_asset, ts, quote_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertBalanceChange = db.prepare(`
      INSERT INTO balance_changes (seq, account_id, asset, total, available, hold, reason, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.upsertQuote = db.prepare(`
      INSERT INTO quotes (quote_id, account_id, client_rfq_id, symbol, status, created_at, view) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (quote_id) DO UPDATE SET status = excluded.status, view = excluded.view`);
    this.saveSeq = db.prepare(`UPDATE history_meta SET value = ? WHERE key = 'projected_seq'`);
    this.projectBatch = db.transaction((events: readonly CoreEvent[], throughSeq: number) => {
      let last = this.seq;
      const orders = new Map<string, OrderChange>();
      for (const event of events) {
        if (event.seq <= last) continue;
        this.projectEvent(event, orders);
        last = event.seq;
      }
      for (const change of orders.values()) this.saveOrder(change);
      if (throughSeq > last) last = throughSeq;
      if (last !== this.seq) this.saveSeq.run(last);
      return last;
    });
  }

  /** The sequence number of the last event projected (0 when none). */
  get projectedSeq(): number {
    return this.seq;
  }

  /**
   * Projects events in sequence order; those at or below `projectedSeq` are skipped. The
   * projected seq becomes `throughSeq` when given and higher: a caller that left out events of
   * types the history does not keep still records that it has seen them (recovery compares this
   * seq with the snapshots').
   */
  project(events: readonly CoreEvent[], throughSeq = 0): void {
    const last = Math.max(events.length > 0 ? events[events.length - 1]!.seq : 0, throughSeq);
    if (last <= this.seq) return;
    this.seq = this.projectBatch(events, throughSeq);
  }

  private projectEvent(event: CoreEvent, orders: Map<string, OrderChange>): void {
    switch (event.type) {
      case 'OrderAccepted':
      case 'OrderAmended':
      case 'OrderTriggered':
      case 'OrderCanceled':
      case 'OrderFilled': {
        const change = orders.get(event.order.orderId);
        if (change) {
          change.order = event.order;
          change.lastSeq = event.seq;
          change.amended ||= event.type === 'OrderAmended';
        } else {
          orders.set(event.order.orderId, {
            order: event.order, firstSeq: event.seq, lastSeq: event.seq, amended: event.type === 'OrderAmended',
            ...(event.type === 'OrderAccepted' ? { acceptedSeq: event.seq } : {}),
          });
        }
        if (event.type === 'OrderFilled') {
          const o = event.order;
          this.insertFill.run(event.seq, o.accountId, o.orderId, o.clientOrderId ?? null, o.symbol, o.side, event.tradeId, event.price,
            event.quantity, event.liquidity, event.fee, event.feeAsset, event.ts, o.quoteId ?? null);
        }
        return;
      }
      case 'QuoteIssued':
      case 'QuoteClosed': {
        const q = event.quote;
        this.upsertQuote.run(Number(q.quoteId), q.accountId, q.clientRfqId ?? null, q.symbol, q.status, q.createdAt, JSON.stringify(q));
        return;
      }
      case 'BalanceChanged':
        if (!isLedgerMovement(event.reason)) return;
        this.insertBalanceChange.run(event.seq, event.accountId, event.asset, event.total, event.available, event.hold, event.reason, event.ts);
        return;
      default:
        return;
    }
  }

  private saveOrder(change: OrderChange): void {
    const o = change.order;
    const view = packOrderView(o);
    const clientOrderId = o.clientOrderId ?? null;
    if (change.acceptedSeq === undefined) {
      const updated = change.amended
        ? this.updateAmendedOrder.run(clientOrderId, o.status, change.lastSeq, view, o.orderId)
        : this.updateOrder.run(o.status, change.lastSeq, view, o.orderId);
      if (updated.changes > 0) return;
      // Never saw it accepted (the history has a gap): keep it all the same.
    }
    this.insertOrder.run(o.orderId, o.accountId, clientOrderId, o.symbol, o.status, o.createdAt, change.acceptedSeq ?? change.firstSeq, change.lastSeq, view);
  }
}
