/**
 * One side of an order book: price levels kept in a sorted array (best price LAST, so taking or
 * dropping the best level is O(1) and inserts near the touch move few elements), a Map from
 * price to level for O(1) lookup, and an intrusive FIFO (doubly linked through the orders
 * themselves) inside each level, so queue removal is O(1) with no allocation.
 */

/** What the book needs from an order: its links, its level and its open quantity. */
export interface BookNode {
  prev: BookNode | null;
  next: BookNode | null;
  level: PriceLevel | null;
  remaining: bigint;
}

export class PriceLevel {
  /** Sum of the remaining quantity of the orders in this level. */
  quantity = 0n;
  count = 0;
  head: BookNode | null = null;
  tail: BookNode | null = null;
  constructor(readonly price: bigint, readonly priceText: string) {}
}

export class BookSide {
  /** Worst to best: ascending prices for bids, descending for asks. */
  readonly levels: PriceLevel[] = [];
  readonly byPrice = new Map<bigint, PriceLevel>();
  constructor(readonly isBid: boolean) {}

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Appends the order at the back of its price's queue, creating the level if needed. */
  append(node: BookNode, price: bigint, priceText: string): PriceLevel {
    let level = this.byPrice.get(price);
    if (level === undefined) {
      level = new PriceLevel(price, priceText);
      this.byPrice.set(price, level);
      this.levels.splice(this.insertIndex(price), 0, level);
    }
    node.level = level;
    node.prev = level.tail;
    node.next = null;
    if (level.tail === null) level.head = node;
    else level.tail.next = node;
    level.tail = node;
    level.count++;
    level.quantity += node.remaining;
    return level;
  }

  /** Unlinks the order; its remaining quantity leaves the level. Drops an emptied level. */
  remove(node: BookNode): PriceLevel {
    const level = node.level as PriceLevel;
    if (node.prev === null) level.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) level.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    node.level = null;
    level.count--;
    level.quantity -= node.remaining;
    if (level.count === 0) this.dropLevel(level);
    return level;
  }

  private dropLevel(level: PriceLevel): void {
    this.byPrice.delete(level.price);
    const last = this.levels.length - 1;
    if (this.levels[last] === level) {
      this.levels.pop();
      return;
    }
    const i = this.indexOf(level.price);
    this.levels.splice(i, 1);
  }

  /** True if price a is better (more aggressive) than price b on this side. */
  better(a: bigint, b: bigint): boolean {
    return this.isBid ? a > b : a < b;
  }

  /** Index at which a level with this (absent) price keeps the array sorted worst..best. */
  private insertIndex(price: bigint): number {
    let lo = 0;
    let hi = this.levels.length;
    // Fast path: a new best price, the commonest insert near the touch.
    if (hi === 0 || this.better(price, (this.levels[hi - 1] as PriceLevel).price)) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(price, (this.levels[mid] as PriceLevel).price)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(price: bigint): number {
    let lo = 0;
    let hi = this.levels.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = (this.levels[mid] as PriceLevel).price;
      if (p === price) return mid;
      if (this.better(price, p)) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error('price level missing from the sorted array');
  }
}
