/**
 * The gateway's book copy and depth views, property-based: whatever the sequence of level
 * changes, the mirror equals a plain model of the book, and a client that applies the update
 * frames ends with exactly the top N levels and the checksum the frames announce.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookLevelChanged, Side } from '../../../server/src/core/api.js';
import { BookMirror, compareDecimal, type Level } from '../../../server/src/gateway/ws/book-mirror.js';
import { BookView, bookChecksum } from '../../../server/src/gateway/ws/book-view.js';
import { LocalBook } from './local-book.js';

/** A decimal string with up to 6 integer and 4 fraction digits, canonical or not. */
const decimal = fc.tuple(fc.nat(999_999), fc.nat(9999), fc.nat(4)).map(([i, f, digits]) => (digits === 0 ? String(i) : `${i}.${String(f).padStart(4, '0').slice(0, digits)}`));

function exact(d: string): bigint {
  const [i, f = ''] = d.split('.');
  return BigInt(i! + f.padEnd(4, '0'));
}

/** One level change: side, a price from a small grid (so levels repeat), quantity 0 (removal) or positive. */
const change = fc.record({
  side: fc.constantFrom<Side>('buy', 'sell'),
  price: fc.integer({ min: 9_900, max: 10_100 }).map((cents) => (cents / 100).toString()),
  quantity: fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 500 }).map((n) => (n / 100).toString())),
});

type Model = { buy: Map<string, string>; sell: Map<string, string> };

function top(model: Model, side: Side, depth: number): Level[] {
  const levels = [...model[side]].sort((a, b) => (side === 'buy' ? compareDecimal(b[0], a[0]) : compareDecimal(a[0], b[0])));
  return levels.slice(0, depth) as Level[];
}

const empty = { symbol: 'X-Y', seq: 0, bookSeq: 0, bids: [], asks: [] };

function event(c: { side: Side; price: string; quantity: string }, bookSeq: number): BookLevelChanged {
  return { type: 'BookLevelChanged', seq: bookSeq * 10, ts: 0, symbol: 'X-Y', bookSeq, side: c.side, price: c.price, quantity: c.quantity };
}

describe('compareDecimal', () => {
  it('orders decimal strings exactly as their values', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => {
      const expected = exact(a) === exact(b) ? 0 : exact(a) < exact(b) ? -1 : 1;
      expect(Math.sign(compareDecimal(a, b))).toBe(expected);
    }));
  });
});

describe('BookMirror', () => {
  it('equals a plain model of the book after any sequence of level changes', () => {
    fc.assert(fc.property(fc.array(change, { maxLength: 300 }), (changes) => {
      const mirror = new BookMirror(empty);
      const model: Model = { buy: new Map(), sell: new Map() };
      changes.forEach((c, i) => {
        expect(mirror.apply(event(c, i + 1))).toBe('applied');
        if (c.quantity === '0') model[c.side].delete(c.price);
        else model[c.side].set(c.price, c.quantity);
      });
      expect(mirror.bids.levels).toEqual(top(model, 'buy', Infinity));
      expect(mirror.asks.levels).toEqual(top(model, 'sell', Infinity));
      expect(mirror.bookSeq).toBe(changes.length);
    }));
  });

  it('skips changes its snapshot already holds and refuses a skipped book sequence', () => {
    const mirror = new BookMirror({ ...empty, bookSeq: 5, bids: [{ price: '10', quantity: '1', orders: 1 }] });
    expect(mirror.apply(event({ side: 'buy', price: '10', quantity: '0' }, 5))).toBe('already-included');
    expect(mirror.bids.levels).toEqual([['10', '1']]);
    expect(mirror.apply(event({ side: 'buy', price: '11', quantity: '1' }, 7))).toBe('gap');
    expect(mirror.apply(event({ side: 'buy', price: '11', quantity: '1' }, 6))).toBe('applied');
  });
});

describe('BookView', () => {
  it('produces updates that rebuild the top N exactly, chained by prevBookSeq, with the documented checksum', () => {
    const batches = fc.array(fc.array(change, { minLength: 1, maxLength: 20 }), { maxLength: 40 });
    fc.assert(fc.property(batches, fc.constantFrom(1, 5, 10, 25), (batchList, depth) => {
      const mirror = new BookMirror(empty);
      const model: Model = { buy: new Map(), sell: new Map() };
      const view = new BookView('X-Y', depth, mirror);
      const client = new LocalBook();
      client.apply(view.snapshot());
      let bookSeq = 0;
      for (const batch of batchList) {
        for (const c of batch) {
          mirror.apply(event(c, ++bookSeq));
          if (c.quantity === '0') model[c.side].delete(c.price);
          else model[c.side].set(c.price, c.quantity);
        }
        const before = view.bookSeq;
        const update = view.refresh(mirror);
        // An update continues from the last frame; a view that did not change sends nothing and keeps its bookSeq.
        if (update) expect([update.prevBookSeq, update.bookSeq]).toEqual([before, bookSeq]);
        else expect(view.bookSeq).toBe(before);
        if (update) client.apply(update);
        expect(client.problem).toBeUndefined();
        expect(client.levels()).toEqual({ bids: top(model, 'buy', depth), asks: top(model, 'sell', depth) });
      }
    }));
  });

  it('computes the checksum of the contract\'s own example', () => {
    // api-spec/asyncapi.yaml, message bookSnapshot, example twoLevels.
    expect(bookChecksum([['25000.5', '0.4'], ['25000', '1.2']], [['25001', '0.3']])).toBe(779142831);
    expect(bookChecksum([['25000.5', '0.5'], ['25000', '1.2']], [])).toBe(3813247029);
  });
});
