/**
 * The public events the core builds from its event log (every kind but the records it keeps
 * whole), made by constructors rather than object literals: same fields, in the same order, with
 * the same values.
 *
 * Why: V8 may decide to allocate every object of a literal straight into the old generation
 * (allocation-site pretenuring) once most of them outlive a scavenge, as they do while a burst of
 * orders waits for its session-file commit. The decision stays after the burst, so each later
 * view is old garbage from the start and keeps the young strings it points to through the next
 * scavenges (copied twice, then promoted). Objects made by `new` are never pretenured.
 */
import type {
  BalanceChanged, BookLevelChanged, CancelReason, Liquidity, OrderAccepted, OrderAmended, OrderCanceled, OrderFilled, OrderTriggered, OrderView,
  PositionChanged, Side, TradePrinted,
} from './api.js';
import type { OrderState } from './event-log.js';
import { formatFixed } from './fixed.js';
import type { Order } from './model.js';
import { big } from './units.js';

/* Each class takes its fields from the interface it merges with; the constructor sets them in the interface's order. */

export interface OrderViewObject extends OrderView {}
/** The public view of order `o` whose changing fields are `s` (the order itself, or a record of it). */
export class OrderViewObject {
  constructor(o: Order, s: OrderState) {
    const inst = o.inst;
    const bs = inst.base.decimals;
    const qs = inst.quote.decimals;
    this.orderId = o.idText;
    this.clientOrderId = s.clientOrderId;
    if (o.quoteId !== undefined) this.quoteId = o.quoteId;
    this.accountId = o.account.id;
    this.symbol = inst.symbol;
    this.side = o.side;
    this.orderType = o.orderType;
    this.timeInForce = o.timeInForce;
    this.postOnly = o.postOnly;
    this.stp = o.stp;
    this.price = o.orderType === 'limit' || o.orderType === 'stop_limit' ? s.priceText : undefined;
    if (o.stopPrice !== null) {
      this.stopPrice = s.stopPriceText;
      this.triggerState = s.triggeredAt === undefined ? 'untriggered' : 'triggered';
      if (s.triggeredAt !== undefined) this.triggeredAt = s.triggeredAt;
    }
    this.quantity = s.quantity === null ? undefined : formatFixed(s.quantity, bs);
    this.quoteQuantity = o.quoteQuantity === null ? undefined : formatFixed(o.quoteQuantity, qs);
    this.filledQuantity = formatFixed(s.filled, bs);
    this.remainingQuantity = formatFixed(s.remaining, bs);
    this.filledQuote = formatFixed(s.filledQuote, qs);
    this.averagePrice = s.filled === 0 ? undefined : formatFixed((big(s.filledQuote) * inst.baseUnit) / big(s.filled), qs);
    this.status = s.status;
    this.cancelReason = s.cancelReason;
    this.expireAt = o.expireAt;
    this.createdAt = o.createdAt;
    this.updatedAt = s.updatedAt;
  }
}

export interface OrderAcceptedView extends OrderAccepted {}
export class OrderAcceptedView {
  constructor(seq: number, ts: number, order: OrderView) {
    this.type = 'OrderAccepted';
    this.seq = seq;
    this.ts = ts;
    this.order = order;
  }
}

export interface BalanceChangedView extends BalanceChanged {}
export class BalanceChangedView {
  constructor(seq: number, ts: number, accountId: string, asset: string, total: string, available: string, hold: string, reason: BalanceChanged['reason']) {
    this.type = 'BalanceChanged';
    this.seq = seq;
    this.ts = ts;
    this.accountId = accountId;
    this.asset = asset;
    this.total = total;
    this.available = available;
    this.hold = hold;
    this.reason = reason;
  }
}

export interface BookLevelChangedView extends BookLevelChanged {}
export class BookLevelChangedView {
  constructor(seq: number, ts: number, symbol: string, bookSeq: number, side: Side, price: string, quantity: string) {
    this.type = 'BookLevelChanged';
    this.seq = seq;
    this.ts = ts;
    this.symbol = symbol;
    this.bookSeq = bookSeq;
    this.side = side;
    this.price = price;
    this.quantity = quantity;
  }
}

export interface OrderAmendedView extends OrderAmended {}
export class OrderAmendedView {
  constructor(seq: number, ts: number, order: OrderView, priorityKept: boolean) {
    this.type = 'OrderAmended';
    this.seq = seq;
    this.ts = ts;
    this.order = order;
    this.priorityKept = priorityKept;
  }
}

export interface OrderTriggeredView extends OrderTriggered {}
export class OrderTriggeredView {
  constructor(seq: number, ts: number, order: OrderView) {
    this.type = 'OrderTriggered';
    this.seq = seq;
    this.ts = ts;
    this.order = order;
  }
}

export interface OrderCanceledView extends OrderCanceled {}
export class OrderCanceledView {
  constructor(seq: number, ts: number, order: OrderView, reason: CancelReason) {
    this.type = 'OrderCanceled';
    this.seq = seq;
    this.ts = ts;
    this.order = order;
    this.reason = reason;
  }
}

export interface OrderFilledView extends OrderFilled {}
export class OrderFilledView {
  constructor(seq: number, ts: number, order: OrderView, tradeId: number, price: string, quantity: string, liquidity: Liquidity, fee: string, feeAsset: string) {
    this.type = 'OrderFilled';
    this.seq = seq;
    this.ts = ts;
    this.order = order;
    this.tradeId = tradeId;
    this.price = price;
    this.quantity = quantity;
    this.liquidity = liquidity;
    this.fee = fee;
    this.feeAsset = feeAsset;
  }
}

export interface TradePrintedView extends TradePrinted {}
export class TradePrintedView {
  constructor(seq: number, ts: number, symbol: string, tradeId: number, price: string, quantity: string, takerSide: Side, makerOrderId: string, takerOrderId: string) {
    this.type = 'TradePrinted';
    this.seq = seq;
    this.ts = ts;
    this.symbol = symbol;
    this.tradeId = tradeId;
    this.price = price;
    this.quantity = quantity;
    this.takerSide = takerSide;
    this.makerOrderId = makerOrderId;
    this.takerOrderId = takerOrderId;
  }
}

export interface PositionChangedView extends PositionChanged {}
export class PositionChangedView {
  constructor(seq: number, ts: number, accountId: string, symbol: string, netQuantity: string, averageEntryPrice: string, realizedPnl: string) {
    this.type = 'PositionChanged';
    this.seq = seq;
    this.ts = ts;
    this.accountId = accountId;
    this.symbol = symbol;
    this.netQuantity = netQuantity;
    this.averageEntryPrice = averageEntryPrice;
    this.realizedPnl = realizedPnl;
  }
}
