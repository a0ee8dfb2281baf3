/**
 * The untriggered stop and stop-limit orders of one instrument, kept apart from the book (they
 * are not liquidity). Each side is a BookSide keyed by stop price, whose "best" level is the
 * next to trigger: buy stops trigger when the last price rises to them (lowest stop price
 * first), sell stops when it falls to them (highest first); within a stop price, first in first
 * out by `stopTime`. An untriggered order is in no book, so its book links serve here.
 */
import { BookSide } from './book.js';
import type { Order } from './model.js';
import type { Units } from './units.js';

/**
 * The untriggered stops of all of a core's instruments, counted together: a command looks for
 * stops to trigger only while there are any, instead of visiting every instrument's stop book.
 */
export class WaitingStops {
  count = 0;
}

export class StopBook {
  /** Buy stops, ordered like asks: the lowest stop price triggers first. */
  readonly buys = new BookSide<Units>(false);
  /** Sell stops, ordered like bids: the highest stop price triggers first. */
  readonly sells = new BookSide<Units>(true);
  size = 0;

  /** `all`: the core's count of waiting stops, which this book's adds and removes keep. */
  constructor(private readonly all: WaitingStops = new WaitingStops()) {}

  /** Appends the order behind the others at its stop price (callers add in `stopTime` order). */
  add(o: Order): void {
    (o.side === 'buy' ? this.buys : this.sells).append(o, o.stopPrice as Units, o.stopPriceText as string);
    this.size++;
    this.all.count++;
  }

  remove(o: Order): void {
    (o.side === 'buy' ? this.buys : this.sells).remove(o);
    this.size--;
    this.all.count--;
  }

  /** The next buy stop to trigger if the last price is at or above its stop price. */
  nextBuy(last: bigint): Order | undefined {
    const level = this.buys.best();
    return level !== undefined && level.price <= last ? (level.head as Order) : undefined;
  }

  /** The next sell stop to trigger if the last price is at or below its stop price. */
  nextSell(last: bigint): Order | undefined {
    const level = this.sells.best();
    return level !== undefined && level.price >= last ? (level.head as Order) : undefined;
  }
}
