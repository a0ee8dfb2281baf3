/**
 * The gateway's full-depth copy of one instrument's L2 book, kept from a core snapshot plus the
 * BookLevelChanged events the bus delivers. Book frames are computed from this copy rather than
 * by querying the core, because the core may already hold commands that are not yet durable;
 * the copy holds exactly what has been published.
 */
import type { BookLevelChanged, BookSnapshot, Side } from '../../core/api.js';

/** `[price, quantity]`, both decimal strings as the core writes them. */
export type Level = [price: string, quantity: string];

/** Numeric order of two non-negative decimal strings (no sign, no exponent). */
export function compareDecimal(a: string, b: string): number {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  const aInt = ai.replace(/^0+(?=\d)/, '');
  const bInt = bi.replace(/^0+(?=\d)/, '');
  if (aInt.length !== bInt.length) return aInt.length - bInt.length;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const aFrac = af.replace(/0+$/, '');
  const bFrac = bf.replace(/0+$/, '');
  return aFrac === bFrac ? 0 : aFrac < bFrac ? -1 : 1;
}

/** Best price first: descending for bids, ascending for asks. */
export function bestFirst(side: Side): (a: string, b: string) => number {
  return side === 'buy' ? (a, b) => compareDecimal(b, a) : compareDecimal;
}

class MirrorSide {
  readonly levels: Level[] = [];
  readonly #order: (a: string, b: string) => number;

  constructor(side: Side) {
    this.#order = bestFirst(side);
  }

  set(price: string, quantity: string): void {
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#order(this.levels[mid]![0], price) < 0) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < this.levels.length && this.#order(this.levels[lo]![0], price) === 0;
    const empty = compareDecimal(quantity, '0') === 0;
    if (found && empty) this.levels.splice(lo, 1);
    else if (found) this.levels[lo] = [price, quantity];
    else if (!empty) this.levels.splice(lo, 0, [price, quantity]);
  }

  top(depth: number): Level[] {
    return this.levels.slice(0, depth);
  }
}

export type ApplyOutcome = 'applied' | 'already-included' | 'gap';

export class BookMirror {
  readonly bids = new MirrorSide('buy');
  readonly asks = new MirrorSide('sell');
  /** The book sequence of the last level change included. */
  bookSeq: number;
  /** The global sequence of the last event included. */
  seq: number;

  constructor(snapshot: BookSnapshot) {
    this.bookSeq = snapshot.bookSeq;
    this.seq = snapshot.seq;
    for (const l of snapshot.bids) this.bids.set(l.price, l.quantity);
    for (const l of snapshot.asks) this.asks.set(l.price, l.quantity);
  }

  /**
   * Applies one level change. A change the snapshot already included is skipped; one that skips
   * a book sequence is refused ('gap'), and the caller rebuilds the mirror from the core.
   */
  apply(e: BookLevelChanged): ApplyOutcome {
    if (e.bookSeq <= this.bookSeq) return 'already-included';
    if (e.bookSeq !== this.bookSeq + 1) return 'gap';
    (e.side === 'buy' ? this.bids : this.asks).set(e.price, e.quantity);
    this.bookSeq = e.bookSeq;
    this.seq = e.seq;
    return 'applied';
  }
}
