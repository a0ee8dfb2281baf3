// @ts-check
/**
 * A local copy of one `book` subscription, kept as docs/websocket.md says: replace on
 * `book.snapshot`, apply `book.update` only on top of the `bookSeq` it follows, and verify the
 * CRC-32 checksum after every frame. Any gap or mismatch tells the caller to resubscribe.
 */
import { crc32 } from './crc32.js';
import { compareDecimal, isZeroDecimal } from './decimal.js';

/** @typedef {[price: string, quantity: string]} Level */
/** @typedef {{ bookSeq: number, bids: Level[], asks: Level[], checksum: number }} BookSnapshotFrame */
/** @typedef {BookSnapshotFrame & { prevBookSeq: number }} BookUpdateFrame */
/**
 * `applied`: the book is correct as of the frame. `stale`: an update of an older subscription,
 * ignored. `gap`: an update is missing. `checksum`: the copy differs from the server's view.
 * @typedef {'applied' | 'stale' | 'gap' | 'checksum'} ApplyResult
 */

/** Best first: bids high to low, asks low to high. @param {Map<string, string>} side @param {boolean} descending @returns {Level[]} */
function sorted(side, descending) {
  return [...side].sort((a, b) => (descending ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
}

/** The checksum's input string: `bids|asks`, each `price:quantity` joined by commas. @param {Level[]} bids @param {Level[]} asks */
export function checksumText(bids, asks) {
  const side = (/** @type {Level[]} */ levels) => levels.map(([p, q]) => `${p}:${q}`).join(',');
  return `${side(bids)}|${side(asks)}`;
}

export class LocalBook {
  constructor() {
    /** @type {Map<string, string>} */ this.bidLevels = new Map();
    /** @type {Map<string, string>} */ this.askLevels = new Map();
    this.bookSeq = -1;
    /** False until a snapshot arrives (again, after a resubscribe). */
    this.synced = false;
  }

  /** Forget everything until the next snapshot (called when resubscribing). */
  reset() {
    this.bidLevels.clear();
    this.askLevels.clear();
    this.bookSeq = -1;
    this.synced = false;
  }

  /** @param {BookSnapshotFrame} frame @returns {ApplyResult} */
  applySnapshot(frame) {
    this.reset();
    for (const [p, q] of frame.bids) this.bidLevels.set(p, q);
    for (const [p, q] of frame.asks) this.askLevels.set(p, q);
    this.bookSeq = frame.bookSeq;
    this.synced = true;
    return this.verify(frame.checksum);
  }

  /** @param {BookUpdateFrame} frame @returns {ApplyResult} */
  applyUpdate(frame) {
    if (!this.synced) return 'stale';
    if (frame.prevBookSeq !== this.bookSeq) return this.fail('gap');
    for (const [side, levels] of /** @type {const} */ ([[this.bidLevels, frame.bids], [this.askLevels, frame.asks]])) {
      for (const [p, q] of levels) {
        if (isZeroDecimal(q)) side.delete(p);
        else side.set(p, q);
      }
    }
    this.bookSeq = frame.bookSeq;
    return this.verify(frame.checksum);
  }

  /** @returns {Level[]} */
  bids() {
    return sorted(this.bidLevels, true);
  }

  /** @returns {Level[]} */
  asks() {
    return sorted(this.askLevels, false);
  }

  checksum() {
    return crc32(checksumText(this.bids(), this.asks()));
  }

  /** @param {number} expected @returns {ApplyResult} */
  verify(expected) {
    return this.checksum() === expected ? 'applied' : this.fail('checksum');
  }

  /** @param {'gap' | 'checksum'} reason @returns {ApplyResult} */
  fail(reason) {
    this.synced = false;
    return reason;
  }
}
