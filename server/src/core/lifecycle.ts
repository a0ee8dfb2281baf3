/**
 * Shared steps of an order's life: its hold, resting in the book, and leaving the live set
 * (filled, canceled, expired). Every step emits the events for the state it changes.
 */
import type { CancelReason, OrderStatus } from './api.js';
import { emitBalance, emitCanceled, emitLevel } from './events.js';
import { buyHoldNeedUnits } from './fees.js';
import { Balance, type Account, type AssetInfo, type Instrument, type Order } from './model.js';
import type { CoreState } from './state.js';
import { minus, plus, type Units } from './units.js';

/** The account's balance record for an asset, created empty on first use. */
export function balanceOf(account: Account, asset: AssetInfo): Balance {
  let b = account.balances.get(asset.asset);
  if (b === undefined) {
    b = new Balance(asset);
    account.balances.set(asset.asset, b);
  }
  return b;
}

/** Available (total - hold) without creating a record. */
export function availableOf(account: Account, asset: string): Units {
  const b = account.balances.get(asset);
  return b === undefined ? 0 : minus(b.total, b.hold);
}

/**
 * What an open order must hold: a sell its remaining base; a buy its remaining notional at its
 * limit (or cap) plus the most fee that can add (fees.ts); a market buy by quote amount its
 * unspent budget.
 */
export function holdNeed(o: Order): Units {
  if (o.side === 'sell') return o.remaining;
  if (o.quantity === null) return o.held;
  return buyHoldNeedUnits(o.inst.notionalUnits(o.price, o.remaining), o.feeNumerator, o.account.holdBps);
}

export function holdAsset(o: Order): AssetInfo {
  return o.side === 'buy' ? o.inst.quote : o.inst.base;
}

/** Moves the order's hold to exactly its need, emitting the balance change if any. */
export function syncHold(st: CoreState, o: Order): void {
  const need = holdNeed(o);
  const delta = minus(need, o.held);
  if (delta === 0) return;
  const b = balanceOf(o.account, holdAsset(o));
  b.hold = plus(b.hold, delta);
  o.held = need;
  emitBalance(st, o.account, b, delta > 0 ? 'order_hold' : 'order_release');
}

/** Releases all the order still holds. */
export function releaseHold(st: CoreState, o: Order): void {
  if (o.held === 0) return;
  const b = balanceOf(o.account, holdAsset(o));
  b.hold = minus(b.hold, o.held);
  o.held = 0;
  emitBalance(st, o.account, b, 'order_release');
}

/** Registers a newly accepted order as live (open-order count, client id, expiry index). */
export function addLive(st: CoreState, o: Order): void {
  o.account.orders.add(o);
  st.live.set(o);
  if (o.clientOrderId !== undefined) o.account.byClientId.set(o.clientOrderId, o);
  if (o.expireAt !== undefined) st.gtd.add(o);
}

/** Removes a done order from the live set and keeps it, bounded, for lookups by id. */
export function finish(st: CoreState, o: Order): void {
  const account = o.account;
  account.orders.delete(o);
  st.live.delete(o.id);
  if (o.clientOrderId !== undefined && account.byClientId.get(o.clientOrderId) === o) account.byClientId.delete(o.clientOrderId);
  if (o.expireAt !== undefined) st.gtd.delete(o);
  st.finished.add(o, st.config.finishedOrderRetention);
}

export function bookSide(inst: Instrument, side: 'buy' | 'sell') {
  return side === 'buy' ? inst.bids : inst.asks;
}

/** Puts a live limit order at the back of its price level's queue. */
export function rest(st: CoreState, o: Order): void {
  const level = bookSide(o.inst, o.side).append(o, o.price, o.priceText as string);
  emitLevel(st, o.inst, o.side, level.priceText, level.quantity);
}

/** Ends a live order without filling its remainder: out of the book, hold released. */
export function cancelOrder(st: CoreState, o: Order, reason: CancelReason, status: OrderStatus = 'canceled'): void {
  // An untriggered stop's links are in the stop book, not the book.
  const waiting = o.untriggered;
  const level = waiting ? null : o.level;
  if (waiting) o.inst.stops.remove(o);
  else if (level !== null) bookSide(o.inst, o.side).remove(o);
  // Out of the live set next to out of the book: the order's neighbours in both lists were placed
  // long before and are likely cache misses, which the processor overlaps when the writes are close.
  finish(st, o);
  o.remaining = 0;
  o.status = status;
  o.cancelReason = reason;
  o.updatedAt = st.ts;
  emitCanceled(st, o, reason);
  releaseHold(st, o);
  if (level !== null) emitLevel(st, o.inst, o.side, level.priceText, level.quantity);
}
