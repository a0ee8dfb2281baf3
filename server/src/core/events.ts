/**
 * Records the outgoing events in the command's event log (event-log.ts), compactly: ids,
 * integer amounts and texts already at hand, formatted into public events only when read.
 * Every event gets the next global `seq` and the current command's `ts`; book events also take
 * the instrument's next `bookSeq`. Rare events (rejections, admin) are built at once.
 */
import type {
  BalanceChanged, CancelReason, Command, CommandRejected, Liquidity, OrderView, RejectCode, Side,
} from './api.js';
import { averageEntry as averageEntryOf, EventKind, orderViewOf } from './event-log.js';
import type { Account, Balance, Instrument, Order, Position } from './model.js';
import type { CoreState } from './state.js';
import { big, type Units } from './units.js';

/** The public view of an order as it is now. */
export function orderView(o: Order): OrderView {
  return orderViewOf(o, o);
}

export function emitAccepted(st: CoreState, o: Order): void {
  st.log.order(EventKind.ACCEPTED, ++st.seq, st.ts, o);
}

export function emitAmended(st: CoreState, o: Order, priorityKept: boolean): void {
  st.log.amended(++st.seq, st.ts, o, priorityKept);
}

export function emitTriggered(st: CoreState, o: Order): void {
  st.log.order(EventKind.TRIGGERED, ++st.seq, st.ts, o);
}

export function emitCanceled(st: CoreState, o: Order, reason: CancelReason): void {
  st.log.canceled(++st.seq, st.ts, o, reason);
}

export function emitFilled(
  st: CoreState, o: Order, tradeId: number, priceText: string, quantity: Units, liquidity: Liquidity, fee: Units,
): void {
  st.log.filled(++st.seq, st.ts, o, tradeId, priceText, quantity, liquidity, fee);
}

export function emitTrade(
  st: CoreState, inst: Instrument, tradeId: number, priceText: string, quantity: Units, takerSide: Side, maker: Order, taker: Order,
): void {
  st.log.trade(++st.seq, st.ts, inst, tradeId, priceText, quantity, takerSide, maker, taker);
}

export function emitBalance(st: CoreState, account: Account, b: Balance, reason: BalanceChanged['reason']): void {
  st.log.balance(++st.seq, st.ts, account, b.asset, b.total, b.hold, reason);
}

/** Average entry price: open cost / |net|, truncated to the quote scale. */
export function averageEntry(p: Position, inst: Instrument): bigint {
  return averageEntryOf(big(p.net), big(p.cost), inst);
}

export function emitPosition(st: CoreState, account: Account, p: Position, inst: Instrument): void {
  st.log.position(++st.seq, st.ts, account, inst, p);
}

/** L2 delta for one price level: its aggregate open quantity now ("0" when the level is gone). */
export function emitLevel(st: CoreState, inst: Instrument, side: Side, priceText: string, quantity: Units): void {
  st.log.level(++st.seq, st.ts, inst, ++inst.bookSeq, side, priceText, quantity);
}

/** What is known of a refused order: whatever fields of the command were well-formed. */
export interface RejectedOrderIdentity { accountId: string; symbol: string | undefined; clientOrderId: string | undefined; side: Side | undefined }

export function emitOrderRejected(st: CoreState, { accountId, symbol, clientOrderId, side }: RejectedOrderIdentity, code: RejectCode, message: string): void {
  st.log.ready({ type: 'OrderRejected', seq: ++st.seq, ts: st.ts, accountId, symbol, clientOrderId, ...(side !== undefined && { side }), code, message });
}

export function emitCommandRejected(
  st: CoreState, commandType: Command['type'], accountId: string | undefined, code: RejectCode, message: string,
  orderId?: string, clientOrderId?: string,
): void {
  const e: CommandRejected = { type: 'CommandRejected', seq: ++st.seq, ts: st.ts, commandType, accountId, code, message, orderId, clientOrderId };
  st.log.ready(e);
}

export function emitAdmin(st: CoreState, command: Command): void {
  // A structured copy, so later mutation of the caller's object cannot alter the event.
  st.log.ready({ type: 'AdminApplied', seq: ++st.seq, ts: st.ts, command: structuredClone(command) });
}
