/**
 * A local copy of one `book` subscription's view (the top N levels per side), kept exactly as
 * the WebSocket contract prescribes:
 * - `book.snapshot` replaces the view;
 * - `book.update` must continue the sequence (`prevBookSeq` equals the last frame's `bookSeq`),
 *   then its levels are applied, a quantity of zero removing the level;
 * - after every frame the CRC-32 of the local view must equal the frame's `checksum`.
 * A broken sequence or checksum leaves the book unsynced; the WebSocket client then resubscribes
 * and the next snapshot restores it. Prices are ordered exactly, as decimal strings.
 */
import type { BookSnapshot, BookUpdate } from '../../../generated/asyncapi.js';
import { compareDecimal, isZeroDecimal } from '../decimal.js';
import { bookChecksum, type Level } from './checksum.js';

export type BookApplyResult =
  /** The frame was applied and the checksum matched. */
  | 'applied'
  /** A frame was missed; the book is now unsynced. */
  | 'gap'
  /** The local view disagreed with the server's checksum; the book is now unsynced. */
  | 'checksum'
  /** An update arrived while unsynced (waiting for a snapshot); it was dropped. */
  | 'ignored';

export type BookListener = (book: LocalOrderBook) => void;

const bidsBestFirst = (a: Level, b: Level) => compareDecimal(b[0], a[0]);
const asksBestFirst = (a: Level, b: Level) => compareDecimal(a[0], b[0]);

function applyLevels(side: readonly Level[], changes: readonly Level[], order: (a: Level, b: Level) => number): Level[] {
  const levels = new Map<string, string>(side);
  for (const [price, quantity] of changes) {
    if (isZeroDecimal(quantity)) levels.delete(price);
    else levels.set(price, quantity);
  }
  return [...levels].sort(order);
}

export class LocalOrderBook {
  /** Best (highest) first. */
  bids: readonly Level[] = [];
  /** Best (lowest) first. */
  asks: readonly Level[] = [];
  /** The book sequence of the last applied frame (-1 before the first snapshot). */
  bookSeq = -1;
  /** The global sequence of the last event reflected. */
  seq = -1;
  /** Whether the view is a verified copy of the server's. */
  synced = false;
  /** Resyncs so far (gaps and checksum mismatches). */
  resyncs = 0;
  readonly #listeners = new Set<BookListener>();

  constructor(readonly symbol: string, readonly depth: number) {}

  apply(frame: BookSnapshot | BookUpdate): BookApplyResult {
    if (frame.type === 'book.snapshot') {
      return this.#accept(frame, [...frame.bids].sort(bidsBestFirst), [...frame.asks].sort(asksBestFirst));
    }
    if (!this.synced) return 'ignored';
    if (frame.prevBookSeq !== this.bookSeq) return this.#fail('gap');
    return this.#accept(frame, applyLevels(this.bids, frame.bids, bidsBestFirst), applyLevels(this.asks, frame.asks, asksBestFirst));
  }

  /** Drops the view until the next snapshot (on a resubscribe or a lost connection). */
  invalidate(): void {
    this.synced = false;
  }

  bestBid(): Level | undefined {
    return this.bids[0];
  }

  bestAsk(): Level | undefined {
    return this.asks[0];
  }

  /** Called after each applied frame; returns a function that removes the listener. */
  onChange(listener: BookListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #accept(frame: BookSnapshot | BookUpdate, bids: Level[], asks: Level[]): BookApplyResult {
    if (bookChecksum(bids, asks) !== frame.checksum) return this.#fail('checksum');
    this.bids = bids;
    this.asks = asks;
    this.bookSeq = frame.bookSeq;
    this.seq = frame.seq;
    this.synced = true;
    for (const listener of this.#listeners) listener(this);
    return 'applied';
  }

  #fail(reason: 'gap' | 'checksum'): BookApplyResult {
    this.synced = false;
    this.resyncs++;
    return reason;
  }
}
