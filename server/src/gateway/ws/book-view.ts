/**
 * The top-N view of a book that one depth of `book` subscription sees, shared by every
 * subscriber of that symbol and depth. After each batch of events it is recomputed from the
 * mirror; the difference becomes one `book.update` frame.
 */
import type { BookSnapshot, BookUpdate } from '../../../../generated/asyncapi.js';
import { crc32 } from '../../checksum/crc32.js';
import { bestFirst, type BookMirror, type Level } from './book-mirror.js';

/**
 * The contract's book checksum: CRC-32 (IEEE) of the UTF-8 string `bids + "|" + asks`, each side
 * its levels best first as `price:quantity` joined by `,`.
 */
export function bookChecksum(bids: readonly Level[], asks: readonly Level[]): number {
  const side = (levels: readonly Level[]) => levels.map(([p, q]) => `${p}:${q}`).join(',');
  return crc32(Buffer.from(`${side(bids)}|${side(asks)}`, 'utf8'));
}

/** Levels of `next` that differ from `previous`, and `[price, "0"]` for those that left; best first. */
export function diffLevels(previous: readonly Level[], next: readonly Level[], order: (a: string, b: string) => number): Level[] {
  const before = new Map(previous);
  const after = new Set(next.map(([p]) => p));
  const changes: Level[] = next.filter(([p, q]) => before.get(p) !== q);
  for (const [p] of previous) if (!after.has(p)) changes.push([p, '0']);
  return changes.sort((a, b) => order(a[0], b[0]));
}

const bidOrder = bestFirst('buy');
const askOrder = bestFirst('sell');

export class BookView {
  bids!: Level[];
  asks!: Level[];
  /** The book sequence of the last change that altered this view. */
  bookSeq!: number;
  seq!: number;
  checksum!: number;

  constructor(readonly symbol: string, readonly depth: number, mirror: BookMirror) {
    this.reset(mirror);
  }

  snapshot(): BookSnapshot {
    return {
      type: 'book.snapshot', symbol: this.symbol, depth: this.depth as BookSnapshot['depth'], seq: this.seq, bookSeq: this.bookSeq,
      bids: this.bids, asks: this.asks, checksum: this.checksum,
    };
  }

  /** Moves the view to the mirror's state; the update frame, or undefined if the top N did not change. */
  refresh(mirror: BookMirror): BookUpdate | undefined {
    const bids = mirror.bids.top(this.depth);
    const asks = mirror.asks.top(this.depth);
    const bidChanges = diffLevels(this.bids, bids, bidOrder);
    const askChanges = diffLevels(this.asks, asks, askOrder);
    if (bidChanges.length === 0 && askChanges.length === 0) return undefined;
    const prevBookSeq = this.bookSeq;
    this.bids = bids;
    this.asks = asks;
    this.bookSeq = mirror.bookSeq;
    this.seq = mirror.seq;
    this.checksum = bookChecksum(bids, asks);
    return {
      type: 'book.update', symbol: this.symbol, depth: this.depth as BookUpdate['depth'], seq: this.seq, prevBookSeq, bookSeq: this.bookSeq,
      bids: bidChanges, asks: askChanges, checksum: this.checksum,
    };
  }

  /** Takes the mirror's state outright (at creation, or after the mirror was rebuilt: subscribers then need a snapshot). */
  reset(mirror: BookMirror): void {
    this.bids = mirror.bids.top(this.depth);
    this.asks = mirror.asks.top(this.depth);
    this.bookSeq = mirror.bookSeq;
    this.seq = mirror.seq;
    this.checksum = bookChecksum(this.bids, this.asks);
  }
}
