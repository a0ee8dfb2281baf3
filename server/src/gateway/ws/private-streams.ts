/**
 * Private channels: each core event that concerns an account becomes at most one frame per
 * channel, built once and sent to every matching subscription of that account whose snapshot
 * does not already include it (event seq > the subscription's afterSeq).
 */
import type { RfqUpdate, BalanceUpdate, BalancesSnapshot, FillFrame, OrderRejectedFrame, OrderUpdate, OrdersSnapshot, PositionUpdate, PositionsSnapshot } from '../../../../generated/asyncapi.js';
import type { CoreEvent, CoreView } from '../../core/api.js';
import { fillFromEvent, toApiOrder } from '../../order-entry/views.js';
import { toApiQuote } from '../../rfq/views.js';
import type { PrivateChannel, Subscription } from './connection.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { encode } from './market-data.js';

type StreamFrame = OrderUpdate | OrderRejectedFrame | FillFrame | BalanceUpdate | PositionUpdate | RfqUpdate;

/** The frames an event produces, by channel. */
export function framesOf(e: CoreEvent): [PrivateChannel, StreamFrame][] {
  switch (e.type) {
    case 'OrderAccepted': return [['orders', { type: 'orders.update', seq: e.seq, ts: e.ts, event: 'accepted', order: toApiOrder(e.order) }]];
    case 'OrderAmended': return [['orders', { type: 'orders.update', seq: e.seq, ts: e.ts, event: 'amended', order: toApiOrder(e.order) }]];
    case 'OrderCanceled': return [['orders', { type: 'orders.update', seq: e.seq, ts: e.ts, event: 'canceled', order: toApiOrder(e.order, e.reason) }]];
    case 'OrderTriggered': return [['orders', { type: 'orders.update', seq: e.seq, ts: e.ts, event: 'triggered', order: toApiOrder(e.order) }]];
    case 'OrderFilled': return [
      ['orders', { type: 'orders.update', seq: e.seq, ts: e.ts, event: 'filled', order: toApiOrder(e.order) }],
      ['fills', { type: 'fills', fill: fillFromEvent(e) }],
    ];
    case 'OrderRejected': return [['orders', {
      type: 'orders.rejected', seq: e.seq, ts: e.ts, code: e.code, message: e.message,
      ...(e.symbol !== undefined && { symbol: e.symbol }), ...(e.clientOrderId !== undefined && { clientOrderId: e.clientOrderId }),
    }]];
    case 'BalanceChanged': return [['balances', { type: 'balances.update', seq: e.seq, ts: e.ts, balance: { asset: e.asset, total: e.total, available: e.available, hold: e.hold }, reason: e.reason }]];
    case 'QuoteIssued': case 'QuoteClosed': return [['rfq', { type: 'rfq.update', seq: e.seq, ts: e.ts, quote: toApiQuote(e.quote) }]];
    case 'PositionChanged': return [['positions', { type: 'positions.update', seq: e.seq, ts: e.ts, position: { symbol: e.symbol, netQuantity: e.netQuantity, averageEntryPrice: e.averageEntryPrice, realizedPnl: e.realizedPnl } }]];
    default: return [];
  }
}

function accountOf(e: CoreEvent): string | undefined {
  switch (e.type) {
    case 'OrderAccepted': case 'OrderAmended': case 'OrderTriggered': case 'OrderCanceled': case 'OrderFilled': return e.order.accountId;
    case 'OrderRejected': case 'BalanceChanged': case 'PositionChanged': return e.accountId;
    case 'QuoteIssued': case 'QuoteClosed': return e.quote.accountId;
    default: return undefined;
  }
}

/** The snapshot a new private subscription starts with, taken at the core's current sequence. */
export function privateSnapshot(channel: PrivateChannel, accountId: string, core: CoreView): { seq: number; frame?: OrdersSnapshot | BalancesSnapshot | PositionsSnapshot } {
  const seq = core.seq;
  switch (channel) {
    case 'orders': return { seq, frame: { type: 'orders.snapshot', seq, orders: core.openOrders(accountId).map((o) => toApiOrder(o)) } };
    case 'balances': return { seq, frame: { type: 'balances.snapshot', seq, balances: core.balances(accountId) ?? [] } };
    case 'positions': return { seq, frame: { type: 'positions.snapshot', seq, positions: core.positions(accountId) ?? [] } };
    case 'fills': case 'rfq': return { seq };
  }
}

export class PrivateStreams {
  readonly #byAccount = new Map<string, Set<Subscription>>();

  /** Frames go out through the gateway's delivery queue, in its private lane (ahead of market data). */
  constructor(private readonly outbound: DeliveryQueue) {}

  add(accountId: string, sub: Subscription): void {
    let subs = this.#byAccount.get(accountId);
    if (!subs) this.#byAccount.set(accountId, (subs = new Set()));
    subs.add(sub);
  }

  remove(accountId: string, sub: Subscription): void {
    const subs = this.#byAccount.get(accountId);
    subs?.delete(sub);
    if (subs?.size === 0) this.#byAccount.delete(accountId);
  }

  onEvents(events: readonly CoreEvent[]): void {
    for (const e of events) {
      const accountId = accountOf(e);
      const subs = accountId === undefined ? undefined : this.#byAccount.get(accountId);
      if (!subs) continue;
      for (const [channel, frame] of framesOf(e)) {
        const targets: Subscription[] = [];
        for (const sub of subs) if (sub.channel === channel && e.seq > sub.afterSeq) targets.push(sub);
        if (targets.length === 0) continue;
        const data = encode(frame);
        this.outbound.pushPrivate(targets, (sub) => {
          if (sub.connection.subscriptions.get(sub.key) === sub) sub.connection.sendPrivate(data);
        });
      }
    }
  }
}
