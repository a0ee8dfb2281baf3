/**
 * Position accounting per account and instrument, exact in quote units.
 *
 * A position keeps its net base quantity and the quote cost of that open quantity. Adding to
 * the position adds the fill's notional to the cost. Reducing it takes out cost × q / |net|
 * (rounded down to the quote unit) and realizes the difference with the fill's notional; the
 * rounding remainder stays in the cost of what is still open and is realized when the position
 * closes, so the realized PnL of a round trip is exactly sells minus buys. A fill larger than
 * the position closes it and opens the rest the other way at the fill price. Realized PnL is
 * gross of fees. The average entry price shown is cost / |net| truncated to the quote scale.
 */
import type { Instrument, Position } from './model.js';
import { abs, minus, mulDiv, negate, plus, type Units } from './units.js';

/**
 * In `Units` (numbers while they are safe integers, bigint beyond): a trade updates two positions,
 * and fresh bigints written into these long-lived records were a large part of a trade's cost.
 */
export function applyFillToPosition(
  p: Position, inst: Instrument, buy: boolean, price: Units, quantity: Units,
  /** The fill's notional, `inst.notionalUnits(price, quantity)`, when the caller has it already (a trade). */
  notional: Units = inst.notionalUnits(price, quantity),
): void {
  const signed = buy ? quantity : negate(quantity);
  const net = p.net;
  if (net === 0 || (net > 0) === buy) {
    p.net = plus(net, signed);
    p.cost = plus(p.cost, notional);
    return;
  }
  const size = abs(net);
  const long = net > 0;
  if (quantity <= size) {
    const removed = mulDiv(p.cost, quantity, size);
    p.realized = plus(p.realized, long ? minus(notional, removed) : minus(removed, notional));
    p.cost = minus(p.cost, removed);
    p.net = plus(net, signed);
    return;
  }
  const closing = inst.notionalUnits(price, size);
  p.realized = plus(p.realized, long ? minus(closing, p.cost) : minus(p.cost, closing));
  p.net = plus(net, signed);
  p.cost = inst.notionalUnits(price, minus(quantity, size));
}
