/**
 * PlaceOrder: checks in a fixed order (the first failure is the reject code), then hold,
 * accept, match, and rest or end the remainder. The check order is documented in
 * docs/trading-rules.md.
 */
import type { CancelReason, PlaceOrder, StpMode } from './api.js';
import { emitAccepted, emitBalance } from './events.js';
import { buyHoldNeedUnits } from './fees.js';
import { formatFixed, isCanonicalDecimal } from './fixed.js';
import { addLive, availableOf, balanceOf, cancelOrder, finish, rest } from './lifecycle.js';
import { match, type MatchStop } from './matching.js';
import { Order, type Account, type Instrument, type PriceLevel } from './model.js';
import {
  checkPrice, checkQuantity, checkQuoteQuantity, DEFAULT_STP, isIdentifier, ORDER_TYPES, ruleMessage, statusBlocksTrading, STP_MODES, TIME_IN_FORCE,
} from './order-rules.js';
import { fundsDetails, fundsMessage } from './funds-details.js';
import { bandDetails, bandMessage, marketBound, withinBand } from './price-band.js';
import { rejectOrder } from './rejects.js';
import { stopBuyCap, stopOnRightSide, waitForTrigger, wrongSideMessage } from './stops.js';
import type { CoreState } from './state.js';
import { minus, plus, units, type Units } from './units.js';

export function placeOrder(st: CoreState, c: PlaceOrder): void {
  const accountId = typeof c.accountId === 'string' ? c.accountId : '';
  const symbol = typeof c.symbol === 'string' ? c.symbol : undefined;
  const clientOrderId = typeof c.clientOrderId === 'string' ? c.clientOrderId : undefined;
  const side = c.side === 'buy' || c.side === 'sell' ? c.side : undefined;

  const account = st.accounts.get(accountId);
  if (account === undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'UNKNOWN_ACCOUNT', `unknown account ${accountId}`);
  if (account === st.feeAccount) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'the fee account cannot trade');
  const inst = symbol === undefined ? undefined : st.instruments.get(symbol);
  if (inst === undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'UNKNOWN_SYMBOL', `unknown symbol ${String(c.symbol)}`);
  if (account.killSwitch) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'KILL_SWITCH_ACTIVE', 'the kill switch is active for this account');
  const blocked = statusBlocksTrading(inst);
  if (blocked !== undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, blocked, `instrument is ${inst.status}`);
  const postOnly = c.postOnly === undefined ? false : c.postOnly;
  if (inst.status === 'post_only' && !(c.orderType === 'limit' && postOnly === true)) {
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INSTRUMENT_POST_ONLY', 'instrument accepts only post-only limit orders');
  }

  // Shape of the order.
  if (c.side !== 'buy' && c.side !== 'sell') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'side must be buy or sell');
  if (typeof c.orderType !== 'string' || !ORDER_TYPES.has(c.orderType)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'orderType must be limit, market, stop or stop_limit');
  if (typeof c.timeInForce !== 'string' || !TIME_IN_FORCE.has(c.timeInForce)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'timeInForce must be GTC, IOC, FOK or GTD');
  if (typeof postOnly !== 'boolean') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'postOnly must be a boolean');
  if (c.stp !== undefined && (typeof c.stp !== 'string' || !STP_MODES.has(c.stp))) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'unknown stp mode');
  const stp: StpMode = c.stp ?? DEFAULT_STP;
  // A stop trades as a market order once triggered, a stop-limit as a limit order.
  const isStop = c.orderType === 'stop' || c.orderType === 'stop_limit';
  const market = c.orderType === 'market' || c.orderType === 'stop';
  const tif = c.timeInForce;
  if (c.orderType === 'market' && (tif === 'GTC' || tif === 'GTD')) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'a market order must be IOC or FOK');
  if (c.orderType === 'stop' && (tif === 'IOC' || tif === 'FOK')) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'a stop order must be GTC or GTD (how long it waits); triggered, it trades as a market order');
  if (c.orderType === 'stop_limit' && tif === 'FOK') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'a stop-limit order must be GTC, GTD or IOC');
  if (postOnly && (c.orderType !== 'limit' || tif === 'IOC' || tif === 'FOK')) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'post-only needs a GTC or GTD limit order');
  if (market && c.price !== undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', `a ${c.orderType} order takes no price`);
  if (!isStop && c.stopPrice !== undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'stopPrice is only for stop and stop_limit orders');
  if (isStop && c.stopPrice === undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'STOP_PRICE_REQUIRED', `a ${c.orderType} order needs a stopPrice`);
  if (c.quoteQuantity !== undefined) {
    if (!market || c.side !== 'buy') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'quoteQuantity is only for market and stop buys');
    if (c.quantity !== undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'give quantity or quoteQuantity, not both');
    if (tif === 'FOK') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'a market buy by quote amount must be IOC');
  } else if (c.quantity === undefined) {
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_QUANTITY', 'quantity is required');
  }
  if (c.clientOrderId !== undefined) {
    if (!isIdentifier(c.clientOrderId)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_ORDER', 'clientOrderId must be 1-64 printable ASCII characters');
    if (account.byClientId.has(c.clientOrderId)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'DUPLICATE_CLIENT_ORDER_ID', 'clientOrderId is in use by a live order');
  }
  let expireAt: number | undefined;
  if (tif === 'GTD') {
    if (!Number.isSafeInteger(c.expireAt) || (c.expireAt as number) <= st.clock) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_EXPIRY', 'expireAt must be an integer time after the core clock (the latest command time)');
    expireAt = c.expireAt;
  } else if (c.expireAt !== undefined) {
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_EXPIRY', 'expireAt is only for GTD orders');
  }

  // Amounts.
  let price: Units = 0;
  if (!market) {
    if (c.price === undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INVALID_PRICE', `a ${c.orderType} order needs a price`);
    const p = checkPrice(inst, c.price);
    if (typeof p === 'string') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, p, ruleMessage(inst, p));
    price = p;
  }
  let stopPrice: Units | null = null;
  if (isStop) {
    const p = checkPrice(inst, c.stopPrice);
    if (typeof p === 'string') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, p, `stopPrice: ${ruleMessage(inst, p)}`);
    if (!stopOnRightSide(inst, c.side === 'buy', p)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'STOP_PRICE_WRONG_SIDE', wrongSideMessage(inst, c.side === 'buy'));
    stopPrice = p;
  }
  let quantity: Units | null = null;
  let quoteQuantity: bigint | null = null;
  if (c.quoteQuantity !== undefined) {
    const v = checkQuoteQuantity(inst, c.quoteQuantity);
    if (typeof v === 'string') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, v, 'quoteQuantity must be a positive decimal string at the quote scale');
    if (v < inst.minNotional) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'NOTIONAL_TOO_SMALL', ruleMessage(inst, 'NOTIONAL_TOO_SMALL'));
    quoteQuantity = v;
  } else {
    const v = checkQuantity(inst, c.quantity);
    if (typeof v === 'string') return rejectOrder(st, { accountId, symbol, clientOrderId, side }, v, ruleMessage(inst, v));
    quantity = v;
    if (!market && inst.notionalUnits(price, v) < inst.minNotional) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'NOTIONAL_TOO_SMALL', ruleMessage(inst, 'NOTIONAL_TOO_SMALL'));
  }
  // A stop-limit's price meets the band when it triggers, against the reference price of then.
  if (c.orderType === 'limit' && !withinBand(inst, price)) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'PRICE_OUTSIDE_BAND', bandMessage(inst), bandDetails(inst));
  if (account.orders.size >= account.maxOpenOrders) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'TOO_MANY_OPEN_ORDERS', `at most ${account.maxOpenOrders} open orders`);
  if (isStop) return placeStop(st, c, account, inst, price, stopPrice as Units, quantity, quoteQuantity, tif, expireAt, stp);

  const buy = c.side === 'buy';
  const opposite = buy ? inst.asks : inst.bids;
  const best = opposite.best();
  if (postOnly && best !== undefined && (buy ? best.price <= price : best.price >= price)) {
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'POST_ONLY_WOULD_CROSS', 'post-only order would take liquidity');
  }

  // Market orders: the price they may trade to, which is also what a buy by quantity holds against.
  let limit: Units | null = market ? null : price;
  let limitFromBand = false;
  if (market) {
    if (best === undefined) return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'NO_LIQUIDITY', 'no orders on the other side of the book');
    const band = marketBound(inst, buy);
    if (buy && quantity !== null) {
      const sweep = sweepPrice(st, account, inst, quantity, stp);
      limit = band !== null && band < sweep ? band : sweep;
      limitFromBand = band !== null && band < sweep;
    } else if (band !== null) {
      limit = band;
      limitFromBand = true;
    }
  }

  // Funds.
  const holdAsset = buy ? inst.quote : inst.base;
  let need: Units;
  if (!buy) need = quantity as Units;
  else if (quoteQuantity !== null) need = units(quoteQuantity);
  else need = buyHoldNeedUnits(inst.notionalUnits(limit as Units, quantity as Units), 0, account.holdBps);
  const available = availableOf(account, holdAsset.asset);
  if (available < need) {
    const funds = fundsDetails(holdAsset, need, available);
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'INSUFFICIENT_FUNDS', fundsMessage(funds), funds);
  }

  if (tif === 'FOK' && !fokFillable(st, account, inst, buy, quantity as Units, limit, stp)) {
    return rejectOrder(st, { accountId, symbol, clientOrderId, side }, 'FOK_NOT_FILLABLE', 'the order cannot be filled in full at once');
  }

  const o = new Order(
    st.nextOrderId++, account, clientOrderId, inst, c.side, c.orderType, tif, postOnly, stp,
    limit ?? 0, quantity, quoteQuantity, quantity ?? 0, expireAt, st.ts, st.ts,
  );
  o.priceText = market ? undefined : priceText(inst, c.price as string, price);
  addLive(st, o);
  emitAccepted(st, o);
  if (need !== 0) {
    const b = balanceOf(account, holdAsset);
    b.hold = plus(b.hold, need);
    o.held = need;
    emitBalance(st, account, b, 'order_hold');
  }
  const stop = match(st, o, limit);
  settleAfterMatch(st, o, stop, limitFromBand);
}

/**
 * Accepts a stop or stop-limit order: its hold is reserved now (for a stop buy by quantity, at
 * the most it may pay once triggered, `stopBuyCap`), and it waits in the stop book.
 */
function placeStop(
  st: CoreState, c: PlaceOrder, account: Account, inst: Instrument, price: Units, stopPrice: Units, quantity: Units | null,
  quoteQuantity: bigint | null, tif: PlaceOrder['timeInForce'], expireAt: number | undefined, stp: StpMode,
): void {
  const who = { accountId: account.id, symbol: inst.symbol, clientOrderId: c.clientOrderId, side: c.side };
  const buy = c.side === 'buy';
  let limit = price;
  if (c.orderType === 'stop' && buy && quantity !== null) {
    const cap = stopBuyCap(inst, stopPrice);
    if (cap === null) return rejectOrder(st, who, 'INVALID_ORDER', 'a stop buy by quantity needs a price band to cap it: give quoteQuantity, or use a stop_limit order');
    limit = cap;
  }
  const holdAsset = buy ? inst.quote : inst.base;
  let need: Units;
  if (!buy) need = quantity as Units;
  else if (quoteQuantity !== null) need = units(quoteQuantity);
  else need = buyHoldNeedUnits(inst.notionalUnits(limit, quantity as Units), 0, account.holdBps);
  const available = availableOf(account, holdAsset.asset);
  if (available < need) {
    const funds = fundsDetails(holdAsset, need, available);
    return rejectOrder(st, who, 'INSUFFICIENT_FUNDS', fundsMessage(funds), funds);
  }
  const o = new Order(
    st.nextOrderId++, account, c.clientOrderId, inst, c.side, c.orderType, tif, false, stp,
    limit, quantity, quoteQuantity, quantity ?? 0, expireAt, st.ts, st.ts,
  );
  o.priceText = c.orderType === 'stop_limit' ? formatPrice(inst, price) : undefined;
  o.stopPrice = stopPrice;
  o.stopPriceText = formatPrice(inst, stopPrice);
  addLive(st, o);
  emitAccepted(st, o);
  waitForTrigger(st, o);
  const b = balanceOf(account, holdAsset);
  b.hold = plus(b.hold, need);
  o.held = need;
  emitBalance(st, account, b, 'order_hold');
}

/**
 * What happens to an order (new or amended) after it has matched: a filled order leaves the
 * live set; STP, IOC, FOK and market remainders are canceled; a GTC/GTD remainder rests.
 */
export function settleAfterMatch(st: CoreState, o: Order, stop: MatchStop, limitFromBand: boolean): void {
  if (o.status === 'filled') {
    finish(st, o);
    return;
  }
  let reason: CancelReason | undefined;
  if (stop === 'stp') reason = 'stp';
  else if (o.marketLike) {
    if (stop === 'budget') reason = 'ioc_remainder';
    else if (stop === 'limit' && limitFromBand) reason = 'price_band';
    else reason = 'market_no_liquidity';
  } else if (o.timeInForce === 'IOC') reason = 'ioc_remainder';
  else if (o.timeInForce === 'FOK') reason = 'fok_unfilled';
  if (reason !== undefined) cancelOrder(st, o, reason);
  else rest(st, o);
}

/**
 * Price of the deepest ask level a market buy of `quantity` reaches (the last level it can
 * reach if the book is too thin), counting only what it may trade with, as `match` will walk
 * it: expired GTD asks are skipped (matching expires them); an own ask is skipped under
 * cancel_oldest (matching cancels it), decrements the order under decrement_and_cancel, and
 * otherwise ends the walk (matching stops there).
 */
function sweepPrice(st: CoreState, account: Account, inst: Instrument, quantity: Units, stp: StpMode): Units {
  const best = inst.asks.best()!;
  let left = quantity;
  let price = best.price;
  for (let level: PriceLevel | null = best; level !== null; level = level.worse) {
    for (let node = level.head as Order | null; node !== null; node = node.next as Order | null) {
      if (node.expireAt !== undefined && node.expireAt <= st.clock) continue;
      if (node.account === account && stp === 'cancel_oldest') continue;
      price = level.price;
      if (node.account === account && stp !== 'decrement_and_cancel') return price;
      left = minus(left, node.remaining);
      if (left <= 0) return price;
    }
  }
  return price;
}

/**
 * Whether a FOK order would fill in full: counts other accounts' resting quantity within the
 * limit in priority order. Expired orders do not count; an own order stops the count unless the
 * STP mode is cancel_oldest (which removes it and goes on).
 */
function fokFillable(
  st: CoreState, account: Account, inst: Instrument, buy: boolean, quantity: Units, limit: Units | null, stp: StpMode,
): boolean {
  let sum: Units = 0;
  for (let level = (buy ? inst.asks : inst.bids).best() ?? null; level !== null; level = level.worse) {
    if (limit !== null && (buy ? level.price > limit : level.price < limit)) return false;
    for (let node = level.head as Order | null; node !== null; node = node.next as Order | null) {
      if (node.expireAt !== undefined && node.expireAt <= st.clock) continue;
      if (node.account === account) {
        if (stp === 'cancel_oldest') continue;
        return false;
      }
      sum = plus(sum, node.remaining);
      if (sum >= quantity) return true;
    }
  }
  return false;
}

/** The canonical text of a price given as `input`: the input itself when it is canonical already. */
export function priceText(inst: Instrument, input: string, price: Units): string {
  return isCanonicalDecimal(input) ? input : formatPrice(inst, price);
}

/** Canonical text of a price (cached on the order and its level). */
export function formatPrice(inst: Instrument, price: Units): string {
  const level = (inst.bids.byPrice.get(price) ?? inst.asks.byPrice.get(price));
  if (level !== undefined) return level.priceText;
  return formatFixed(price, inst.quote.decimals);
}
