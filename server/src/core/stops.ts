/**
 * Stop and stop-limit orders. Untriggered, an order waits in its instrument's stop book with
 * its hold reserved. When the instrument's last trade price reaches its stop price (a buy stop:
 * last >= stop; a sell stop: last <= stop) it triggers and enters the book as a taker, a market
 * order (stop) or a limit order (stop_limit), with the trigger time as its time in the book.
 *
 * Triggering is part of the command whose trade moved the price: after the command, stops are
 * triggered in the order prices reached them (trigger price, then time), one at a time, and a
 * triggered order's own trades can trigger more, which follow.
 */
import { emitTriggered } from './events.js';
import { formatFixed } from './fixed.js';
import { cancelOrder, syncHold } from './lifecycle.js';
import { match } from './matching.js';
import type { Instrument, Order } from './model.js';
import { settleAfterMatch } from './placement.js';
import { marketBound, withinBand } from './price-band.js';
import type { CoreState } from './state.js';
import { big, units, type Units } from './units.js';

const BPS = 10_000n;

/**
 * The most a stop buy by quantity may pay once triggered, and what it holds against until then:
 * its stop price raised by the instrument's price band, down to the tick. Null without a band
 * (such a stop must be given by quote amount, or be a stop-limit).
 */
export function stopBuyCap(inst: Instrument, stopPrice: Units): Units | null {
  if (inst.priceBandBps === 0) return null;
  const cap = (big(stopPrice) * (BPS + BigInt(inst.priceBandBps))) / BPS;
  return units(cap - (cap % inst.tick));
}

/** Whether a stop price is on the side of the last price it must wait on (always, before the first trade). */
export function stopOnRightSide(inst: Instrument, buy: boolean, stopPrice: Units): boolean {
  const last = inst.md.lastPrice;
  if (last === null) return true;
  return buy ? stopPrice > last : stopPrice < last;
}

/** The message of STOP_PRICE_WRONG_SIDE. */
export function wrongSideMessage(inst: Instrument, buy: boolean): string {
  const last = formatFixed(inst.md.lastPrice ?? 0n, inst.quote.decimals);
  return buy ? `a buy stop price must be above the last trade price ${last}` : `a sell stop price must be below the last trade price ${last}`;
}

/** Puts a newly accepted (or repriced) untriggered order in the stop book, after the events that timed it. */
export function waitForTrigger(st: CoreState, o: Order): void {
  o.stopTime = st.seq;
  o.inst.stops.add(o);
}

/** Triggers every stop whose price the instruments' last trades reached, and what their trades reach in turn. */
export function triggerStops(st: CoreState): void {
  // Most commands run with no stop waiting anywhere: then no instrument needs a look.
  if (st.waitingStops.count === 0) return;
  const list = st.instrumentList();
  for (let k = 0; k < list.length; k++) {
    const inst = list[k] as Instrument;
    if (inst.stops.size === 0) continue;
    const queue: Order[] = [];
    collectTriggered(st, inst, queue);
    for (let i = 0; i < queue.length; i++) {
      enterBook(st, queue[i] as Order);
      collectTriggered(st, inst, queue);
    }
  }
}

/**
 * Moves the stops the last price has reached out of the stop book onto the end of `queue`, buys
 * (lowest stop first) before sells (highest first); each side orders ties by time. A stop
 * already past its expireAt is expired instead, as matching expires a resting GTD order.
 */
function collectTriggered(st: CoreState, inst: Instrument, queue: Order[]): void {
  const last = inst.md.lastPrice;
  if (last === null) return;
  for (;;) {
    const o = inst.stops.nextBuy(last) ?? inst.stops.nextSell(last);
    if (o === undefined) return;
    if (o.expireAt !== undefined && o.expireAt <= st.clock) {
      cancelOrder(st, o, 'expired', 'expired');
      continue;
    }
    inst.stops.remove(o);
    o.triggeredAt = st.ts;
    o.updatedAt = st.ts;
    queue.push(o);
  }
}

/** A triggered order enters the book now, as a taker first: a stop as a market order, a stop-limit as a limit order. */
function enterBook(st: CoreState, o: Order): void {
  const inst = o.inst;
  const buy = o.side === 'buy';
  emitTriggered(st, o);
  if (o.orderType === 'stop_limit') {
    // The band is checked now, against the reference price of the trigger, not at placement.
    if (!withinBand(inst, o.price)) return cancelOrder(st, o, 'price_band');
    settleAfterMatch(st, o, match(st, o, o.price), false);
    return;
  }
  // A market order: no further than the band allows; a buy by quantity no further than its cap.
  const band = marketBound(inst, buy);
  let limit: Units | null = band;
  if (buy && o.quantity !== null) {
    limit = band !== null && band < o.price ? band : o.price;
    if (limit !== o.price) {
      o.price = limit;
      syncHold(st, o);
    }
  }
  settleAfterMatch(st, o, match(st, o, limit), limit !== null);
}
