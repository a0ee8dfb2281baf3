/**
 * One side of an order book. Its price levels are
 * - linked best to worst (`better` / `worse`), so the best level, walking the depth from the
 *   touch and dropping any level are O(1);
 * - held in an AVL tree ordered by price, threaded through the levels themselves, so placing a
 *   new level among n others finds its neighbours in O(log n), however deep the book is;
 * - indexed by price in a Map, for O(1) lookup of an existing level.
 * Inside each level an intrusive FIFO (doubly linked through the orders themselves) makes queue
 * removal O(1) with no allocation. A side restored from a snapshot is built in O(n) from its
 * levels in price order (`load`), with no per-level search.
 *
 * Prices and quantities are `Units` (units.ts): numbers in the core, where they fit. The price
 * type is a parameter so that the side can be driven with bigint prices alone.
 */
import { big, minus, plus, type Units } from './units.js';

/** What the book needs from an order: its links, its level and its open quantity. */
export interface BookNode<P extends Units = bigint> {
  prev: BookNode<P> | null;
  next: BookNode<P> | null;
  level: PriceLevel<P> | null;
  remaining: Units;
}

export class PriceLevel<P extends Units = bigint> {
  /**
   * Sum of the remaining quantity of the orders in this level: a number while the sum of
   * numbers is a safe integer, a bigint beyond (or when the orders hold bigints).
   */
  quantity: Units = 0;
  count = 0;
  head: BookNode<P> | null = null;
  tail: BookNode<P> | null = null;
  /** The next level towards the touch / away from it on this side (null at either end). */
  better: PriceLevel<P> | null = null;
  worse: PriceLevel<P> | null = null;
  /** AVL links, by ascending price whatever the side; `height` of the subtree rooted here. */
  lower: PriceLevel<P> | null = null;
  higher: PriceLevel<P> | null = null;
  height = 1;
  constructor(readonly price: P, readonly priceText: string) {}

  /** Appends the order at the back of this level's queue. */
  push(node: BookNode<P>): void {
    node.level = this;
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.count++;
    this.add(node.remaining);
  }

  /**
   * Adds to the level's open quantity (an order joined, or grew). A total that once became a
   * bigint (past 2^53 - 1, or from bigint orders) stays one, so a side driven by bigints alone
   * keeps bigint totals; numbers take the canonical sum (units.ts).
   */
  add(q: Units): void {
    const total = this.quantity;
    this.quantity = typeof total === 'number' && typeof q === 'number' ? plus(total, q) : big(total) + big(q);
  }

  /** Takes from the level's open quantity (an order left, filled or shrank); q <= quantity. */
  take(q: Units): void {
    const total = this.quantity;
    this.quantity = typeof total === 'number' && typeof q === 'number' ? minus(total, q) : big(total) - big(q);
  }
}

export class BookSide<P extends Units = bigint> {
  readonly byPrice = new Map<P, PriceLevel<P>>();
  private root: PriceLevel<P> | null = null;
  private bestLevel: PriceLevel<P> | null = null;
  private worstLevel: PriceLevel<P> | null = null;
  /** Neighbours of the level being inserted, found on the way down the tree. */
  private below: PriceLevel<P> | null = null;
  private above: PriceLevel<P> | null = null;
  constructor(readonly isBid: boolean) {}

  /** Number of price levels. */
  get size(): number {
    return this.byPrice.size;
  }

  best(): PriceLevel<P> | undefined {
    return this.bestLevel ?? undefined;
  }

  worst(): PriceLevel<P> | undefined {
    return this.worstLevel ?? undefined;
  }

  /** Appends the order at the back of its price's queue, creating the level if needed. */
  append(node: BookNode<P>, price: P, priceText: string): PriceLevel<P> {
    let level = this.byPrice.get(price);
    if (level === undefined) {
      level = new PriceLevel(price, priceText);
      this.byPrice.set(price, level);
      this.insertLevel(level);
    }
    level.push(node);
    return level;
  }

  /** Unlinks the order; its remaining quantity leaves the level. Drops an emptied level. */
  remove(node: BookNode<P>): PriceLevel<P> {
    const level = node.level as PriceLevel<P>;
    if (node.prev === null) level.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) level.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    node.level = null;
    level.count--;
    level.take(node.remaining);
    if (level.count === 0) this.dropLevel(level);
    return level;
  }

  /**
   * Fills an empty side with levels given worst to best (each already holding its queue), in
   * O(n): the list is linked in that order and the tree is built balanced from it. Throws,
   * leaving the side empty, if the side is not empty, a level is empty, or the prices are not
   * strictly improving.
   */
  load(worstToBest: readonly PriceLevel<P>[]): void {
    if (this.byPrice.size > 0) throw new Error('BookSide.load: the side is not empty');
    const n = worstToBest.length;
    for (let i = 0; i < n; i++) {
      const level = worstToBest[i]!;
      if (level.count === 0) throw new Error(`BookSide.load: level ${level.priceText} is empty`);
      if (i > 0 && !this.better(level.price, worstToBest[i - 1]!.price)) {
        throw new Error(`BookSide.load: level ${level.priceText} does not improve on ${worstToBest[i - 1]!.priceText}`);
      }
    }
    for (let i = 0; i < n; i++) {
      const level = worstToBest[i]!;
      level.worse = i > 0 ? worstToBest[i - 1]! : null;
      level.better = i + 1 < n ? worstToBest[i + 1]! : null;
      this.byPrice.set(level.price, level);
    }
    this.worstLevel = n > 0 ? worstToBest[0]! : null;
    this.bestLevel = n > 0 ? worstToBest[n - 1]! : null;
    // Ascending price: worst to best for bids, best to worst for asks.
    const at = this.isBid ? (i: number) => worstToBest[i]! : (i: number) => worstToBest[n - 1 - i]!;
    this.root = buildBalanced(at, 0, n - 1);
  }

  /** True if price a is better (more aggressive) than price b on this side. */
  better(a: P, b: P): boolean {
    return this.isBid ? a > b : a < b;
  }

  private insertLevel(level: PriceLevel<P>): void {
    this.below = null;
    this.above = null;
    this.root = this.insertUnder(this.root, level);
    // Set by insertUnder (the compiler cannot see that through the call).
    const above = this.above as PriceLevel<P> | null;
    const below = this.below as PriceLevel<P> | null;
    // On a bid side the level above in price is the better one; on an ask side, the worse one.
    const better = this.isBid ? above : below;
    const worse = this.isBid ? below : above;
    level.better = better;
    level.worse = worse;
    if (better === null) this.bestLevel = level;
    else better.worse = level;
    if (worse === null) this.worstLevel = level;
    else worse.better = level;
  }

  private insertUnder(node: PriceLevel<P> | null, level: PriceLevel<P>): PriceLevel<P> {
    if (node === null) return level;
    if (level.price < node.price) {
      this.above = node;
      node.lower = this.insertUnder(node.lower, level);
    } else {
      this.below = node;
      node.higher = this.insertUnder(node.higher, level);
    }
    return rebalance(node);
  }

  private dropLevel(level: PriceLevel<P>): void {
    this.byPrice.delete(level.price);
    const { better, worse } = level;
    if (better === null) this.bestLevel = worse;
    else better.worse = worse;
    if (worse === null) this.worstLevel = better;
    else worse.better = better;
    level.better = null;
    level.worse = null;
    this.root = removeFrom(this.root, level.price);
    level.lower = null;
    level.higher = null;
    level.height = 1;
  }
}

function heightOf<P extends Units>(node: PriceLevel<P> | null): number {
  return node === null ? 0 : node.height;
}

function updateHeight<P extends Units>(node: PriceLevel<P>): void {
  const l = heightOf(node.lower);
  const h = heightOf(node.higher);
  node.height = (l > h ? l : h) + 1;
}

function rotateUp<P extends Units>(node: PriceLevel<P>, child: PriceLevel<P>): PriceLevel<P> {
  if (node.lower === child) {
    node.lower = child.higher;
    child.higher = node;
  } else {
    node.higher = child.lower;
    child.lower = node;
  }
  updateHeight(node);
  updateHeight(child);
  return child;
}

/** Restores the AVL balance at `node` after one of its subtrees changed height by one. */
function rebalance<P extends Units>(node: PriceLevel<P>): PriceLevel<P> {
  updateHeight(node);
  const tilt = heightOf(node.lower) - heightOf(node.higher);
  if (tilt > 1) {
    const lower = node.lower as PriceLevel<P>;
    if (heightOf(lower.lower) < heightOf(lower.higher)) node.lower = rotateUp(lower, lower.higher as PriceLevel<P>);
    return rotateUp(node, node.lower as PriceLevel<P>);
  }
  if (tilt < -1) {
    const higher = node.higher as PriceLevel<P>;
    if (heightOf(higher.higher) < heightOf(higher.lower)) node.higher = rotateUp(higher, higher.lower as PriceLevel<P>);
    return rotateUp(node, node.higher as PriceLevel<P>);
  }
  return node;
}

function removeFrom<P extends Units>(node: PriceLevel<P> | null, price: P): PriceLevel<P> | null {
  if (node === null) throw new Error('price level missing from the book tree');
  if (price < node.price) node.lower = removeFrom(node.lower, price);
  else if (price > node.price) node.higher = removeFrom(node.higher, price);
  else {
    if (node.lower === null) return node.higher;
    if (node.higher === null) return node.lower;
    // Two children: the next higher level takes this one's place.
    let successor = node.higher;
    while (successor.lower !== null) successor = successor.lower;
    successor.higher = removeLowest(node.higher);
    successor.lower = node.lower;
    return rebalance(successor);
  }
  return rebalance(node);
}

function removeLowest<P extends Units>(node: PriceLevel<P>): PriceLevel<P> | null {
  if (node.lower === null) return node.higher;
  node.lower = removeLowest(node.lower);
  return rebalance(node);
}

/** A height-balanced tree of the levels at(lo..hi), already in ascending price order. */
function buildBalanced<P extends Units>(at: (i: number) => PriceLevel<P>, lo: number, hi: number): PriceLevel<P> | null {
  if (lo > hi) return null;
  const mid = (lo + hi) >>> 1;
  const node = at(mid);
  node.lower = buildBalanced(at, lo, mid - 1);
  node.higher = buildBalanced(at, mid + 1, hi);
  updateHeight(node);
  return node;
}
