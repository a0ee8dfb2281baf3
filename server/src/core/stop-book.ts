/**
 * The untriggered stop and stop-limit orders of one instrument, kept apart from the book (they
 * are not liquidity). Each side is a sorted array, next to trigger LAST, so triggering pops
 * from the end: buy stops trigger when the last price rises to them (lowest stop price first),
 * sell stops when it falls to them (highest first); at one stop price, the earlier `stopTime`
 * first.
 */
import type { Order } from './model.js';

export class StopBook {
  /** Buy stops, highest stop price (and latest time) first, so the next to trigger is last. */
  readonly buys: Order[] = [];
  /** Sell stops, lowest stop price (and latest time) first. */
  readonly sells: Order[] = [];

  get size(): number {
    return this.buys.length + this.sells.length;
  }

  add(o: Order): void {
    const side = o.side === 'buy' ? this.buys : this.sells;
    side.splice(this.insertIndex(side, o), 0, o);
  }

  remove(o: Order): void {
    const side = o.side === 'buy' ? this.buys : this.sells;
    // Stop prices repeat, so find the order itself from the first candidate position.
    for (let i = this.insertIndex(side, o) - 1; i >= 0; i--) {
      if (side[i] === o) {
        side.splice(i, 1);
        return;
      }
    }
    throw new Error(`stop order ${o.id} missing from its stop book`);
  }

  /** The next buy stop to trigger if the last price is at or above its stop price. */
  nextBuy(last: bigint): Order | undefined {
    const o = this.buys[this.buys.length - 1];
    return o !== undefined && (o.stopPrice as bigint) <= last ? o : undefined;
  }

  /** The next sell stop to trigger if the last price is at or below its stop price. */
  nextSell(last: bigint): Order | undefined {
    const o = this.sells[this.sells.length - 1];
    return o !== undefined && (o.stopPrice as bigint) >= last ? o : undefined;
  }

  /** True if `a` triggers after `b` (so sits before it in the array). */
  private static later(a: Order, b: Order): boolean {
    const pa = a.stopPrice as bigint;
    const pb = b.stopPrice as bigint;
    if (pa !== pb) return a.side === 'buy' ? pa > pb : pa < pb;
    return a.stopTime > b.stopTime;
  }

  /** The index after every order that triggers after `o` (binary search). */
  private insertIndex(side: Order[], o: Order): number {
    let lo = 0;
    let hi = side.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (StopBook.later(side[mid] as Order, o) || side[mid] === o) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
