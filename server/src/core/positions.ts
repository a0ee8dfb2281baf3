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

export function applyFillToPosition(p: Position, inst: Instrument, buy: boolean, price: bigint, quantity: bigint): void {
  const signed = buy ? quantity : -quantity;
  const net = p.net;
  if (net === 0n || (net > 0n) === buy) {
    p.net = net + signed;
    p.cost += inst.notional(price, quantity);
    return;
  }
  const size = net < 0n ? -net : net;
  const long = net > 0n;
  if (quantity <= size) {
    const removed = (p.cost * quantity) / size;
    const n = inst.notional(price, quantity);
    p.realized += long ? n - removed : removed - n;
    p.cost -= removed;
    p.net = net + signed;
    return;
  }
  const closing = inst.notional(price, size);
  p.realized += long ? closing - p.cost : p.cost - closing;
  p.net = net + signed;
  p.cost = inst.notional(price, quantity - size);
}
