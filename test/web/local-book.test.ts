/**
 * web/local-book.js against the server's own book view: whatever the book does, the page's copy,
 * fed the frames the server sends, equals the server's view and passes every checksum; a missing
 * frame or a wrong level is caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestFirst } from '../../server/src/gateway/ws/book-mirror.js';
import { bookChecksum, diffLevels } from '../../server/src/gateway/ws/book-view.js';
import { crc32 } from '../../web/crc32.js';
import { LocalBook, checksumText } from '../../web/local-book.js';
import { crc32 as nodeCrc32 } from '../../server/src/checksum/crc32.js';

type Level = [string, string];
const DEPTH = 5;

/** A price or quantity as the API writes it: no trailing zeros. */
const decimalText = (units: number, scale: number) => {
  const digits = String(units).padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`.replace(/\.?0+$/, '');
  return text === '' ? '0' : text;
};
/** One side of a book: distinct prices (in cents), each with a quantity (in thousandths). */
const side = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 1, max: 5000 })), { selector: ([p]) => p, maxLength: 12 })
  .map((levels) => levels.map(([p, q]) => [decimalText(p, 2), decimalText(q, 3)] as Level));
const bookState = fc.tuple(side, side);

const top = (levels: Level[], order: (a: string, b: string) => number) => [...levels].sort((a, b) => order(a[0], b[0])).slice(0, DEPTH);
const bidOrder = bestFirst('buy');
const askOrder = bestFirst('sell');

/** The frames the server sends for a book that goes through `states`: a snapshot, then updates. */
function serverFrames(states: [Level[], Level[]][]) {
  let bids = top(states[0]![0], bidOrder);
  let asks = top(states[0]![1], askOrder);
  const frames: any[] = [{ type: 'book.snapshot', bookSeq: 1, bids, asks, checksum: bookChecksum(bids, asks) }];
  let bookSeq = 1;
  for (const [b, a] of states.slice(1)) {
    const nextBids = top(b, bidOrder);
    const nextAsks = top(a, askOrder);
    const bidChanges = diffLevels(bids, nextBids, bidOrder);
    const askChanges = diffLevels(asks, nextAsks, askOrder);
    if (bidChanges.length === 0 && askChanges.length === 0) continue;
    const prevBookSeq = bookSeq;
    bookSeq += 1 + (nextBids.length % 3); // the book's own sequence moves on by any amount
    bids = nextBids;
    asks = nextAsks;
    frames.push({ type: 'book.update', prevBookSeq, bookSeq, bids: bidChanges, asks: askChanges, checksum: bookChecksum(bids, asks), view: { bids, asks } });
  }
  frames[0].view = { bids: frames[0].bids, asks: frames[0].asks };
  return frames;
}

const apply = (book: LocalBook, frame: any) => (frame.type === 'book.snapshot' ? book.applySnapshot(frame) : book.applyUpdate(frame));

describe('the local order book', () => {
  it('CRC-32 agrees with the server\'s, for any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      expect(crc32(text)).toBe(nodeCrc32(Buffer.from(text, 'utf8')));
    }));
    expect(crc32(checksumText([['25000.5', '0.4'], ['25000', '1.2']], [['25001', '0.3']]))).toBe(779142831); // the WebSocket guide's example
    expect(checksumText([], [])).toBe('|');
  });

  it('equals the server\'s view after every frame, and every checksum matches', () => {
    fc.assert(fc.property(fc.array(bookState, { minLength: 1, maxLength: 15 }), (states) => {
      const book = new LocalBook();
      for (const frame of serverFrames(states)) {
        expect(apply(book, frame)).toBe('applied');
        expect(book.bids()).toEqual(frame.view.bids);
        expect(book.asks()).toEqual(frame.view.asks);
        expect(book.bookSeq).toBe(frame.bookSeq);
      }
    }));
  });

  it('reports a missing frame as a gap and a wrong copy as a checksum failure, then waits for a snapshot', () => {
    fc.assert(fc.property(fc.array(bookState, { minLength: 3, maxLength: 12 }), (states) => {
      const frames = serverFrames(states);
      fc.pre(frames.length >= 3);
      const skipped = new LocalBook();
      apply(skipped, frames[0]);
      expect(skipped.applyUpdate(frames[2])).toBe('gap');
      expect(skipped.synced).toBe(false);
      expect(skipped.applyUpdate(frames[1])).toBe('stale'); // nothing applies until the next snapshot
      expect(skipped.applySnapshot({ ...frames[0] })).toBe('applied');

      const corrupt = new LocalBook();
      const [first] = frames;
      const tampered = { ...first, bids: [...first.bids, ['0.01', '999']], checksum: first.checksum };
      expect(corrupt.applySnapshot(tampered)).toBe('checksum');
      expect(corrupt.synced).toBe(false);
    }));
  });

  it('sorts levels by value, not as text, and a zero quantity removes its level', () => {
    const book = new LocalBook();
    const bids: Level[] = [['100', '1'], ['99.5', '2'], ['9.75', '3']];
    const asks: Level[] = [['100.25', '1'], ['1000', '2']];
    expect(book.applySnapshot({ bookSeq: 7, bids, asks, checksum: bookChecksum(bids, asks) })).toBe('applied');
    const after: [Level[], Level[]] = [[['100', '1'], ['9.75', '3']], [['100.25', '1'], ['1000', '2']]];
    expect(book.applyUpdate({ prevBookSeq: 7, bookSeq: 9, bids: [['99.5', '0']], asks: [], checksum: bookChecksum(...after) })).toBe('applied');
    expect([book.bids(), book.asks()]).toEqual(after);
  });
});
