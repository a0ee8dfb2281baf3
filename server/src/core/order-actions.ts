/** Commands on live orders: amend, cancel (one, all) and expiry. */
import type { AmendOrder, CancelAll, CancelOrder, OrderRef, RejectCode, RejectDetails } from './api.js';
import { emitAmended, emitLevel } from './events.js';
import { buyHoldNeedUnits } from './fees.js';
import { availableOf, bookSide, cancelOrder, holdAsset, rest, syncHold } from './lifecycle.js';
import { match } from './matching.js';
import type { Account, Order } from './model.js';
import { checkPrice, checkQuantity, isIdentifier, ruleMessage, statusBlocksTrading } from './order-rules.js';
import { priceText, settleAfterMatch } from './placement.js';
import { bandDetails, bandMessage, withinBand } from './price-band.js';
import { fundsDetails, fundsMessage } from './funds-details.js';
import { rejectCommand } from './rejects.js';
import { amendStop } from './stop-amend.js';
import type { CoreState } from './state.js';
import { minus, type Units } from './units.js';

/** The live order an OrderRef names, if any. */
export function findLive(st: CoreState, account: Account, ref: OrderRef): Order | undefined {
  if (typeof ref.orderId === 'string') {
    const id = orderNumber(ref.orderId);
    const o = id === undefined ? undefined : st.live.get(id);
    return o !== undefined && o.account === account ? o : undefined;
  }
  if (typeof ref.clientOrderId === 'string') return account.byClientId.get(ref.clientOrderId);
  return undefined;
}

/** The id an order id text names: canonical decimal digits of a safe integer (no sign, no leading zero), else undefined. */
export function orderNumber(text: string): number | undefined {
  const n = text.length;
  if (n === 0 || n > 16 || (text.charCodeAt(0) === 48 && n > 1)) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return Number.isSafeInteger(v) ? v : undefined;
}

export function cancelOne(st: CoreState, c: CancelOrder): void {
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) {
    return rejectCommand(st, 'CancelOrder', c.accountId, 'UNKNOWN_ACCOUNT', 'unknown account', c.orderId, c.clientOrderId);
  }
  const o = findLive(st, account, c);
  if (o === undefined) return rejectCommand(st, 'CancelOrder', account.id, 'ORDER_NOT_FOUND', 'no such live order', c.orderId, c.clientOrderId);
  cancelOrder(st, o, 'user');
}

export function cancelAll(st: CoreState, c: CancelAll): void {
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) return rejectCommand(st, 'CancelAll', c.accountId, 'UNKNOWN_ACCOUNT', 'unknown account');
  if (c.symbol !== undefined && !st.instruments.has(c.symbol)) {
    return rejectCommand(st, 'CancelAll', account.id, 'UNKNOWN_SYMBOL', `unknown symbol ${String(c.symbol)}`);
  }
  cancelAccountOrders(st, account, c.symbol, 'mass_cancel');
}

/** Cancels an account's live orders (optionally of one symbol) in ascending order id. */
export function cancelAccountOrders(st: CoreState, account: Account, symbol: string | undefined, reason: 'mass_cancel' | 'kill_switch'): void {
  const victims: Order[] = [];
  for (const o of account.orders.values()) if (symbol === undefined || o.inst.symbol === symbol) victims.push(o);
  for (const o of victims) cancelOrder(st, o, reason);
}

/** Expires every live GTD order whose expireAt <= the clock, earliest expiry first, then by id. */
export function expireOrders(st: CoreState): void {
  const due: Order[] = [];
  for (const o of st.gtd) if ((o.expireAt as number) <= st.clock) due.push(o);
  due.sort((a, b) => (a.expireAt as number) - (b.expireAt as number) || a.id - b.id);
  for (const o of due) cancelOrder(st, o, 'expired', 'expired');
}

export function amendRejected(st: CoreState, c: AmendOrder, accountId: string | undefined, code: RejectCode, message: string, details?: RejectDetails): void {
  rejectCommand(st, 'AmendOrder', accountId, code, message, c.orderId, c.clientOrderId, details);
}

/**
 * Amend. A quantity-only decrease (or only a new client order id) keeps the order's place in
 * its queue; a price change or quantity increase moves it to the back of the queue at its
 * (new) price, and if the new price crosses the book it trades first, as a taker.
 * newQuantity is the new total quantity, filled part included (as FIX OrderQty).
 */
/**
 * An amend's new client order id must be well formed and not in use by another live order of the
 * account: rejects the amend and returns true when it is not (false when the id is unchanged or fits).
 */
export function rejectsClientOrderId(st: CoreState, c: AmendOrder, o: Order): boolean {
  const id = c.newClientOrderId;
  if (id === undefined || id === o.clientOrderId) return false;
  if (!isIdentifier(id)) amendRejected(st, c, o.account.id, 'INVALID_ORDER', 'clientOrderId must be 1-64 printable ASCII characters');
  else if (o.account.byClientId.has(id)) amendRejected(st, c, o.account.id, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId is in use by a live order');
  else return false;
  return true;
}

/**
 * An amend that needs `need` held: rejects it with INSUFFICIENT_FUNDS and returns true when what it
 * needs beyond the order's present hold is more than the account has free.
 */
export function rejectsHold(st: CoreState, c: AmendOrder, o: Order, need: Units): boolean {
  const asset = holdAsset(o);
  const available = availableOf(o.account, asset.asset);
  const more = minus(need, o.held);
  if (more <= available) return false;
  const funds = fundsDetails(asset, more, available);
  amendRejected(st, c, o.account.id, 'INSUFFICIENT_FUNDS', fundsMessage(funds), funds);
  return true;
}

/** Gives a live order its amended client order id, in the account's index of live ids too. */
export function setClientOrderId(o: Order, clientOrderId: string | undefined): void {
  if (clientOrderId === o.clientOrderId) return;
  const byClientId = o.account.byClientId;
  if (o.clientOrderId !== undefined) byClientId.delete(o.clientOrderId);
  if (clientOrderId !== undefined) byClientId.set(clientOrderId, o);
  o.clientOrderId = clientOrderId;
}

export function amendOrder(st: CoreState, c: AmendOrder): void {
  const account = typeof c.accountId === 'string' ? st.accounts.get(c.accountId) : undefined;
  if (account === undefined) return amendRejected(st, c, c.accountId, 'UNKNOWN_ACCOUNT', 'unknown account');
  const o = findLive(st, account, c);
  if (o === undefined) return amendRejected(st, c, account.id, 'ORDER_NOT_FOUND', 'no such live order');
  const inst = o.inst;
  if (account.killSwitch) return amendRejected(st, c, account.id, 'KILL_SWITCH_ACTIVE', 'the kill switch is active for this account');
  const blocked = statusBlocksTrading(inst);
  if (blocked !== undefined) return amendRejected(st, c, account.id, blocked, `instrument is ${inst.status}`);
  if (o.untriggered) return amendStop(st, c, o);
  if (c.newStopPrice !== undefined) return amendRejected(st, c, account.id, 'INVALID_ORDER', 'only an untriggered stop order has a stop price to change');

  let price = o.price;
  if (c.newPrice !== undefined) {
    const p = checkPrice(inst, c.newPrice);
    if (typeof p === 'string') return amendRejected(st, c, account.id, p, ruleMessage(inst, p));
    price = p;
  }
  let quantity = o.quantity as Units;
  if (c.newQuantity !== undefined) {
    const q = checkQuantity(inst, c.newQuantity);
    if (typeof q === 'string') return amendRejected(st, c, account.id, q, ruleMessage(inst, q));
    if (q <= o.filled) return amendRejected(st, c, account.id, 'INVALID_QUANTITY', 'new quantity must exceed the filled quantity');
    quantity = q;
  }
  if (rejectsClientOrderId(st, c, o)) return;
  const clientOrderId = c.newClientOrderId ?? o.clientOrderId;
  const priceChanged = price !== o.price;
  if (!priceChanged && quantity === o.quantity && clientOrderId === o.clientOrderId) return amendRejected(st, c, account.id, 'AMEND_NO_CHANGE', 'the amend changes nothing');
  // Only a new price or quantity is held to the minimum notional: an order that STP decremented
  // below it can still take a new client order id.
  if ((priceChanged || quantity !== o.quantity) && inst.notionalUnits(price, quantity) < inst.minNotional) return amendRejected(st, c, account.id, 'NOTIONAL_TOO_SMALL', ruleMessage(inst, 'NOTIONAL_TOO_SMALL'));
  if (priceChanged && !withinBand(inst, price)) return amendRejected(st, c, account.id, 'PRICE_OUTSIDE_BAND', bandMessage(inst), bandDetails(inst));
  const buy = o.side === 'buy';
  const best = (buy ? inst.asks : inst.bids).best();
  const crosses = priceChanged && best !== undefined && (buy ? best.price <= price : best.price >= price);
  if (crosses && o.postOnly) return amendRejected(st, c, account.id, 'POST_ONLY_WOULD_CROSS', 'post-only order would take liquidity');
  if (crosses && inst.status === 'post_only') return amendRejected(st, c, account.id, 'INSTRUMENT_POST_ONLY', 'instrument accepts only amends that rest');
  const remaining = minus(quantity, o.filled);
  const need = buy ? buyHoldNeedUnits(inst.notionalUnits(price, remaining), o.feeNumerator, account.holdBps) : remaining;
  if (rejectsHold(st, c, o, need)) return;

  setClientOrderId(o, clientOrderId);
  o.updatedAt = st.ts;
  const level = o.level;
  if (!priceChanged && quantity <= (o.quantity as Units)) {
    const decrease = minus(o.remaining, remaining);
    o.quantity = quantity;
    o.remaining = remaining;
    if (level !== null) level.take(decrease);
    emitAmended(st, o, true);
    syncHold(st, o);
    if (level !== null && decrease !== 0) emitLevel(st, inst, o.side, level.priceText, level.quantity);
    return;
  }
  if (level !== null) bookSide(inst, o.side).remove(o);
  o.price = price;
  if (priceChanged) o.priceText = priceText(inst, c.newPrice as string, price);
  o.quantity = quantity;
  o.remaining = remaining;
  emitAmended(st, o, false);
  syncHold(st, o);
  if (level !== null) emitLevel(st, inst, o.side, level.priceText, level.quantity);
  if (crosses) settleAfterMatch(st, o, match(st, o, price), false);
  else rest(st, o);
}
