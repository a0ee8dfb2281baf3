/**
 * Builds the outgoing events. Every event gets the next global `seq` and the current command's
 * `ts`; book events also take the instrument's next `bookSeq`.
 */
import type {
  BalanceChanged, CancelReason, Command, CommandRejected, Liquidity, OrderView, RejectCode, Side,
} from './api.js';
import { formatFixed } from './fixed.js';
import type { Account, Balance, Instrument, Order, Position } from './model.js';
import type { CoreState } from './state.js';

export function orderView(o: Order): OrderView {
  const inst = o.inst;
  const bs = inst.base.decimals;
  const qs = inst.quote.decimals;
  return {
    orderId: o.idText,
    clientOrderId: o.clientOrderId,
    ...(o.quoteId !== undefined && { quoteId: o.quoteId }),
    accountId: o.account.id,
    symbol: inst.symbol,
    side: o.side,
    orderType: o.orderType,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    stp: o.stp,
    price: o.orderType === 'limit' || o.orderType === 'stop_limit' ? o.priceText : undefined,
    ...(o.stopPrice !== null && {
      stopPrice: o.stopPriceText,
      triggerState: o.triggeredAt === undefined ? 'untriggered' as const : 'triggered' as const,
      ...(o.triggeredAt !== undefined && { triggeredAt: o.triggeredAt }),
    }),
    quantity: o.quantity === null ? undefined : formatFixed(o.quantity, bs),
    quoteQuantity: o.quoteQuantity === null ? undefined : formatFixed(o.quoteQuantity, qs),
    filledQuantity: formatFixed(o.filled, bs),
    remainingQuantity: formatFixed(o.remaining, bs),
    filledQuote: formatFixed(o.filledQuote, qs),
    averagePrice: o.filled === 0n ? undefined : formatFixed((o.filledQuote * inst.baseUnit) / o.filled, qs),
    status: o.status,
    cancelReason: o.cancelReason,
    expireAt: o.expireAt,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

export function emitAccepted(st: CoreState, o: Order): void {
  st.out.push({ type: 'OrderAccepted', seq: ++st.seq, ts: st.ts, order: orderView(o) });
}

export function emitAmended(st: CoreState, o: Order, priorityKept: boolean): void {
  st.out.push({ type: 'OrderAmended', seq: ++st.seq, ts: st.ts, order: orderView(o), priorityKept });
}

export function emitTriggered(st: CoreState, o: Order): void {
  st.out.push({ type: 'OrderTriggered', seq: ++st.seq, ts: st.ts, order: orderView(o) });
}

export function emitCanceled(st: CoreState, o: Order, reason: CancelReason): void {
  st.out.push({ type: 'OrderCanceled', seq: ++st.seq, ts: st.ts, order: orderView(o), reason });
}

export function emitFilled(
  st: CoreState, o: Order, tradeId: number, priceText: string, quantity: bigint, liquidity: Liquidity, fee: bigint,
): void {
  const inst = o.inst;
  st.out.push({
    type: 'OrderFilled', seq: ++st.seq, ts: st.ts, order: orderView(o), tradeId, price: priceText,
    quantity: formatFixed(quantity, inst.base.decimals), liquidity, fee: formatFixed(fee, inst.quote.decimals),
    feeAsset: inst.quote.asset,
  });
}

export function emitTrade(
  st: CoreState, inst: Instrument, tradeId: number, priceText: string, quantity: bigint, takerSide: Side, maker: Order, taker: Order,
): void {
  st.out.push({
    type: 'TradePrinted', seq: ++st.seq, ts: st.ts, symbol: inst.symbol, tradeId, price: priceText,
    quantity: formatFixed(quantity, inst.base.decimals), takerSide, makerOrderId: maker.idText, takerOrderId: taker.idText,
  });
}

export function emitBalance(st: CoreState, account: Account, b: Balance, reason: BalanceChanged['reason']): void {
  const d = b.asset.decimals;
  st.out.push({
    type: 'BalanceChanged', seq: ++st.seq, ts: st.ts, accountId: account.id, asset: b.asset.asset,
    total: formatFixed(b.total, d), available: formatFixed(b.total - b.hold, d), hold: formatFixed(b.hold, d), reason,
  });
}

/** Average entry price: open cost / |net|, truncated to the quote scale. */
export function averageEntry(p: Position, inst: Instrument): bigint {
  if (p.net === 0n) return 0n;
  const size = p.net < 0n ? -p.net : p.net;
  return (p.cost * inst.baseUnit) / size;
}

export function emitPosition(st: CoreState, account: Account, p: Position, inst: Instrument): void {
  st.out.push({
    type: 'PositionChanged', seq: ++st.seq, ts: st.ts, accountId: account.id, symbol: inst.symbol,
    netQuantity: formatFixed(p.net, inst.base.decimals),
    averageEntryPrice: formatFixed(averageEntry(p, inst), inst.quote.decimals),
    realizedPnl: formatFixed(p.realized, inst.quote.decimals),
  });
}

/** L2 delta for one price level: its aggregate open quantity now ("0" when the level is gone). */
export function emitLevel(st: CoreState, inst: Instrument, side: Side, priceText: string, quantity: bigint): void {
  st.out.push({
    type: 'BookLevelChanged', seq: ++st.seq, ts: st.ts, symbol: inst.symbol, bookSeq: ++inst.bookSeq, side, price: priceText,
    quantity: formatFixed(quantity, inst.base.decimals),
  });
}

/** What is known of a refused order: whatever fields of the command were well-formed. */
export interface RejectedOrderIdentity { accountId: string; symbol: string | undefined; clientOrderId: string | undefined; side: Side | undefined }

export function emitOrderRejected(st: CoreState, { accountId, symbol, clientOrderId, side }: RejectedOrderIdentity, code: RejectCode, message: string): void {
  st.out.push({ type: 'OrderRejected', seq: ++st.seq, ts: st.ts, accountId, symbol, clientOrderId, ...(side !== undefined && { side }), code, message });
}

export function emitCommandRejected(
  st: CoreState, commandType: Command['type'], accountId: string | undefined, code: RejectCode, message: string,
  orderId?: string, clientOrderId?: string,
): void {
  const e: CommandRejected = { type: 'CommandRejected', seq: ++st.seq, ts: st.ts, commandType, accountId, code, message, orderId, clientOrderId };
  st.out.push(e);
}

export function emitAdmin(st: CoreState, command: Command): void {
  // A structured copy, so later mutation of the caller's object cannot alter the event.
  st.out.push({ type: 'AdminApplied', seq: ++st.seq, ts: st.ts, command: structuredClone(command) });
}
