/**
 * Price-time matching of one taker order against the opposite side of its book. Trades print at
 * the maker's price; within a price the oldest resting order fills first. A fill settles both
 * sides, the fee account and both positions within the same command.
 */
import { emitAmended, emitBalance, emitFilled, emitLevel, emitPosition, emitTrade } from './events.js';
import { chargedNumeratorAfter, feeBetween, maxLotsForBudget } from './fees.js';
import { balanceOf, cancelOrder, finish, holdNeed, syncHold } from './lifecycle.js';
import type { BookSide, Order, PriceLevel, Position } from './model.js';
import { Position as PositionRecord } from './model.js';
import { applyFillToPosition } from './positions.js';
import type { CoreState } from './state.js';
import { big, least, minus, plus, units, type Units } from './units.js';

/** Why matching stopped. */
export type MatchStop = 'done' | 'limit' | 'empty' | 'budget' | 'stp';

/**
 * Matches `taker` (not in the book) while it has quantity (or budget) left and the best opposite
 * price is within `limit` (null: no price limit). Expired GTD makers met on the way are expired.
 */
export function match(st: CoreState, taker: Order, limit: Units | null): MatchStop {
  const stop = matchLoop(st, taker, limit);
  // The candles take the taker's trades at once (market-data.ts); nothing reads them in between.
  taker.inst.md.endBatch();
  return stop;
}

function matchLoop(st: CoreState, taker: Order, limit: Units | null): MatchStop {
  const inst = taker.inst;
  const buy = taker.isBuy;
  const book = buy ? inst.asks : inst.bids;
  const byQuote = taker.quantity === null;
  for (;;) {
    if (byQuote ? taker.held === 0 : taker.remaining === 0) return 'done';
    const level = book.best();
    if (level === undefined) return 'empty';
    if (limit !== null && (buy ? level.price > limit : level.price < limit)) return 'limit';
    const maker = level.head as Order;
    if (maker.expireAt !== undefined && maker.expireAt <= st.clock) {
      cancelOrder(st, maker, 'expired', 'expired');
      continue;
    }
    if (maker.account === taker.account) {
      if (preventSelfTrade(st, taker, maker, level)) return 'stp';
      continue;
    }
    let quantity = maker.remaining;
    if (byQuote) {
      const lots = maxLotsForBudget(big(taker.held), big(taker.feeNumerator), taker.account.takerBpsBig, inst.notional(level.price, inst.lot));
      if (lots === 0n) return 'budget';
      const affordable = lots * inst.lot;
      if (affordable < quantity) quantity = units(affordable);
    } else if (taker.remaining < quantity) {
      quantity = taker.remaining;
    }
    executeTrade(st, taker, buy, maker, book, level, quantity);
  }
}

/**
 * Applies the taker's STP mode to a resting order of its own account. Returns true when the
 * taker must stop (the caller then cancels its remainder with reason 'stp').
 */
function preventSelfTrade(st: CoreState, taker: Order, maker: Order, level: PriceLevel): boolean {
  switch (taker.stp) {
    case 'cancel_oldest':
      cancelOrder(st, maker, 'stp');
      return false;
    case 'cancel_both':
      cancelOrder(st, maker, 'stp');
      return true;
    case 'decrement_and_cancel': {
      // A market buy by quote amount has no base quantity to decrement: it is canceled.
      if (taker.quantity === null) return true;
      const d = least(taker.remaining, maker.remaining);
      if (maker.remaining === d) {
        cancelOrder(st, maker, 'stp');
      } else {
        maker.remaining = minus(maker.remaining, d);
        maker.quantity = minus(maker.quantity as Units, d);
        level.take(d);
        maker.updatedAt = st.ts;
        emitAmended(st, maker, true);
        syncHold(st, maker);
        emitLevel(st, maker.inst, maker.side, level.priceText, level.quantity);
      }
      if (taker.remaining === d) return true;
      taker.remaining = minus(taker.remaining, d);
      taker.quantity = minus(taker.quantity as Units, d);
      taker.updatedAt = st.ts;
      emitAmended(st, taker, true);
      syncHold(st, taker);
      return false;
    }
    default:
      return true;
  }
}

function positionOf(order: Order): Position {
  const positions = order.account.positions;
  let p = positions.get(order.inst.symbol);
  if (p === undefined) {
    p = new PositionRecord(order.inst.symbol);
    positions.set(order.inst.symbol, p);
  }
  return p;
}

function executeTrade(
  st: CoreState, taker: Order, takerBuys: boolean, maker: Order, makerBook: BookSide<Units>, level: PriceLevel, quantity: Units,
): void {
  const inst = taker.inst;
  const buyer = takerBuys ? taker : maker;
  const seller = takerBuys ? maker : taker;
  // The records the settlement writes, looked up first and together: with many instruments they
  // are cold (a Map's table, the record, then its amounts), and independent look-ups side by side
  // let the processor overlap their misses. The same look-ups in the same order as before, so
  // records are created in the same order.
  const buyerQuote = balanceOf(buyer.account, inst.quote);
  const buyerBase = balanceOf(buyer.account, inst.base);
  const sellerBase = balanceOf(seller.account, inst.base);
  const sellerQuote = balanceOf(seller.account, inst.quote);
  const buyerPosition = positionOf(buyer);
  const sellerPosition = positionOf(seller);
  const price = level.price;
  const notional = inst.notionalUnits(price, quantity);
  const tradeId = ++inst.tradeSeq;

  const makerBps = maker.account.makerBps;
  const takerBps = taker.account.takerBps;
  // Each side's charged-fee numerator is computed once and gives the fill's fee (fees.ts).
  const makerNumerator = chargedNumeratorAfter(maker.feeNumerator, notional, makerBps);
  const takerNumerator = chargedNumeratorAfter(taker.feeNumerator, notional, takerBps);
  const makerFee = feeBetween(maker.feeNumerator, makerNumerator, notional, makerBps);
  const takerFee = feeBetween(taker.feeNumerator, takerNumerator, notional, takerBps);
  maker.feeNumerator = makerNumerator;
  taker.feeNumerator = takerNumerator;

  const buyerFee = takerBuys ? takerFee : makerFee;
  const sellerFee = takerBuys ? makerFee : takerFee;
  const takerSide = takerBuys ? 'buy' : 'sell';

  // Order state first, so the fill events show it after the fill.
  maker.remaining = minus(maker.remaining, quantity);
  level.take(quantity);
  maker.filled = plus(maker.filled, quantity);
  maker.filledQuote = plus(maker.filledQuote, notional);
  maker.status = maker.remaining === 0 ? 'filled' : 'partially_filled';
  maker.updatedAt = st.ts;
  taker.filled = plus(taker.filled, quantity);
  taker.filledQuote = plus(taker.filledQuote, notional);
  taker.updatedAt = st.ts;
  const buyerHeldBefore = buyer.held;
  if (taker.quantity === null) {
    taker.held = minus(taker.held, plus(notional, takerFee)); // the budget is the hold
    taker.status = taker.held === 0 ? 'filled' : 'partially_filled';
  } else {
    taker.remaining = minus(taker.remaining, quantity);
    taker.status = taker.remaining === 0 ? 'filled' : 'partially_filled';
  }
  const buyerHeldAfter = buyer.quantity === null ? buyer.held : holdNeed(buyer);
  buyer.held = buyerHeldAfter;
  seller.held = minus(seller.held, quantity);

  // Settlement: buyer pays notional + fee from its hold (the rest of the hold drop is released),
  // seller delivers base from its hold and receives notional - fee, the fee account nets both fees.
  // All of it is written here, side by side (their amounts are the cold part), and shown by the
  // events below, in the contract's order: each event reads its own record, written only here
  // (buyer and seller are different accounts, the fee account never trades), so it shows the same.
  buyerQuote.total = minus(buyerQuote.total, plus(notional, buyerFee));
  buyerQuote.hold = minus(buyerQuote.hold, minus(buyerHeldBefore, buyerHeldAfter));
  buyerBase.total = plus(buyerBase.total, quantity);
  sellerBase.total = minus(sellerBase.total, quantity);
  sellerBase.hold = minus(sellerBase.hold, quantity);
  sellerQuote.total = plus(sellerQuote.total, minus(notional, sellerFee));
  applyFillToPosition(buyerPosition, inst, true, price, quantity, notional);
  applyFillToPosition(sellerPosition, inst, false, price, quantity, notional);
  const fees = plus(buyerFee, sellerFee);
  const feeBalance = fees === 0 ? null : balanceOf(st.feeAccount, inst.quote);
  if (feeBalance !== null) feeBalance.total = plus(feeBalance.total, fees);

  emitFilled(st, maker, tradeId, level.priceText, quantity, 'maker', makerFee);
  emitFilled(st, taker, tradeId, level.priceText, quantity, 'taker', takerFee);
  emitTrade(st, inst, tradeId, level.priceText, quantity, takerSide, maker, taker);
  // A filled maker leaves the live set next to the book: its neighbours in both lists are likely
  // cache misses, which the processor overlaps when the writes are close (see cancelOrder).
  if (maker.remaining === 0) {
    makerBook.remove(maker);
    finish(st, maker);
  }
  emitLevel(st, inst, takerBuys ? 'sell' : 'buy', level.priceText, level.quantity);
  emitBalance(st, buyer.account, buyerQuote, 'trade');
  emitBalance(st, buyer.account, buyerBase, 'trade');
  emitBalance(st, seller.account, sellerBase, 'trade');
  emitBalance(st, seller.account, sellerQuote, 'trade');
  if (feeBalance !== null) emitBalance(st, st.feeAccount, feeBalance, 'fee');
  emitPosition(st, buyer.account, buyerPosition, inst);
  emitPosition(st, seller.account, sellerPosition, inst);

  inst.md.recordInBatch({ tradeId, price, quantity, takerSide, ts: st.ts }, notional, st.clock);
}
