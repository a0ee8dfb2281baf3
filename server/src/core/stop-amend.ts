/**
 * Amending an untriggered stop or stop-limit order: its stop price (`newStopPrice`), a
 * stop-limit's price, its quantity (not of a stop buy by quote amount) or its client order id.
 * Nothing trades: the order is not in the book. Changing either price or raising the quantity
 * gives it a new time among the stops at its stop price (`priorityKept: false`).
 */
import type { AmendOrder } from './api.js';
import { emitAmended } from './events.js';
import { buyHoldNeedUnits } from './fees.js';
import { syncHold } from './lifecycle.js';
import type { Order } from './model.js';
import { amendRejected, rejectsClientOrderId, rejectsHold, setClientOrderId } from './order-actions.js';
import { checkPrice, checkQuantity, ruleMessage } from './order-rules.js';
import { formatPrice } from './placement.js';
import type { CoreState } from './state.js';
import { stopBuyCap, stopOnRightSide, waitForTrigger, wrongSideMessage } from './stops.js';
import type { Units } from './units.js';

export function amendStop(st: CoreState, c: AmendOrder, o: Order): void {
  const account = o.account;
  const inst = o.inst;
  const buy = o.side === 'buy';
  let price = o.price;
  if (c.newPrice !== undefined) {
    if (o.orderType !== 'stop_limit') return amendRejected(st, c, account.id, 'INVALID_ORDER', 'a stop order has no price to change');
    const p = checkPrice(inst, c.newPrice);
    if (typeof p === 'string') return amendRejected(st, c, account.id, p, ruleMessage(inst, p));
    price = p;
  }
  let stopPrice = o.stopPrice as Units;
  if (c.newStopPrice !== undefined) {
    const p = checkPrice(inst, c.newStopPrice);
    if (typeof p === 'string') return amendRejected(st, c, account.id, p, `stopPrice: ${ruleMessage(inst, p)}`);
    if (!stopOnRightSide(inst, buy, p)) return amendRejected(st, c, account.id, 'STOP_PRICE_WRONG_SIDE', wrongSideMessage(inst, buy));
    stopPrice = p;
  }
  let quantity = o.quantity;
  if (c.newQuantity !== undefined) {
    if (o.quantity === null) return amendRejected(st, c, account.id, 'INVALID_ORDER', 'a buy by quote amount has no quantity to change');
    const q = checkQuantity(inst, c.newQuantity);
    if (typeof q === 'string') return amendRejected(st, c, account.id, q, ruleMessage(inst, q));
    quantity = q;
  }
  if (rejectsClientOrderId(st, c, o)) return;
  const clientOrderId = c.newClientOrderId ?? o.clientOrderId;
  const stopChanged = stopPrice !== o.stopPrice;
  const priceChanged = o.orderType === 'stop_limit' && price !== o.price;
  const quantityChanged = quantity !== o.quantity;
  if (!stopChanged && !priceChanged && !quantityChanged && clientOrderId === o.clientOrderId) {
    return amendRejected(st, c, account.id, 'AMEND_NO_CHANGE', 'the amend changes nothing');
  }
  if (o.orderType === 'stop_limit' && (priceChanged || quantityChanged) && inst.notionalUnits(price, quantity as Units) < inst.minNotional) {
    return amendRejected(st, c, account.id, 'NOTIONAL_TOO_SMALL', ruleMessage(inst, 'NOTIONAL_TOO_SMALL'));
  }
  // A stop buy by quantity holds at (and is capped by) its stop price raised by the band.
  if (o.orderType === 'stop' && buy && quantity !== null && stopChanged) price = stopBuyCap(inst, stopPrice) as Units;
  let need = o.held;
  if (!buy) need = quantity as Units;
  else if (quantity !== null) need = buyHoldNeedUnits(inst.notionalUnits(price, quantity), 0, account.holdBps);
  if (rejectsHold(st, c, o, need)) return;

  setClientOrderId(o, clientOrderId);
  const retime = stopChanged || priceChanged || (quantity !== null && quantity > (o.quantity as Units));
  if (retime) inst.stops.remove(o);
  o.stopPrice = stopPrice;
  o.stopPriceText = formatPrice(inst, stopPrice);
  o.price = price;
  if (o.orderType === 'stop_limit') o.priceText = formatPrice(inst, price);
  o.quantity = quantity;
  if (quantity !== null) o.remaining = quantity;
  o.updatedAt = st.ts;
  emitAmended(st, o, !retime);
  if (retime) waitForTrigger(st, o);
  syncHold(st, o);
}
