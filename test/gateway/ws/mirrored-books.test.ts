/**
 * The books the market-data gateways keep per symbol: views made on demand share one mirror, a
 * gap in the book sequence rebuilds the mirror from the core (and is logged), and the mirror
 * goes with the symbol's last view.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BookLevelChanged, BookSnapshot } from '../../../server/src/core/api.js';
import { MirroredBooks } from '../../../server/src/gateway/ws/mirrored-books.js';

function level(bookSeq: number, side: 'buy' | 'sell', price: string, quantity: string): BookLevelChanged {
  return { type: 'BookLevelChanged', seq: 100 + bookSeq, ts: 0, symbol: 'BTC-USD', bookSeq, side, price, quantity };
}

/** A core whose book the test sets; counts how often a mirror was made from it. */
function fakeCore(initial: BookSnapshot) {
  const core = { book: initial, reads: 0 };
  return { core, bookOf: (symbol: string) => { core.reads++; return { ...core.book, symbol }; } };
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('MirroredBooks', () => {
  const start: BookSnapshot = { symbol: 'BTC-USD', seq: 10, bookSeq: 1, bids: [{ price: '100', quantity: '1', orders: 1 }], asks: [{ price: '101', quantity: '2', orders: 1 }] };

  it('shares one mirror between the depths of a symbol and feeds it in sequence', () => {
    const { core, bookOf } = fakeCore(start);
    const books = new MirroredBooks(bookOf, capturingLogger().logger, 'test');
    const top1 = books.view('BTC-USD', 1);
    const top10 = books.view('BTC-USD', 10);
    expect(books.view('BTC-USD', 1)).toBe(top1);
    expect(core.reads).toBe(1);

    const touched = new Set<string>();
    const rebuilt = new Set<string>();
    books.applyLevel(level(1, 'buy', '100', '5'), touched, rebuilt); // already in the snapshot
    expect(touched.size).toBe(0);
    books.applyLevel(level(2, 'buy', '100.5', '3'), touched, rebuilt);
    expect([...touched]).toEqual(['BTC-USD']);
    expect(rebuilt.size).toBe(0);
    expect(books.mirrorOf('BTC-USD').bids.top(2)).toEqual([['100.5', '3'], ['100', '1']]);
    expect(top1.refresh(books.mirrorOf('BTC-USD'))?.bids).toEqual([['100.5', '3'], ['100', '0']]);
    expect([...books.viewsOf('BTC-USD')]).toEqual([top1, top10]);
  });

  it('rebuilds a symbol\'s mirror from the core after a gap, logs it, and resets its views', () => {
    const { core, bookOf } = fakeCore(start);
    const { logger, lines } = capturingLogger();
    const books = new MirroredBooks(bookOf, logger, 'test');
    const view = books.view('BTC-USD', 5);
    core.book = { symbol: 'BTC-USD', seq: 20, bookSeq: 4, bids: [{ price: '99', quantity: '7', orders: 2 }], asks: [] };

    const touched = new Set<string>();
    const rebuilt = new Set<string>();
    books.applyLevel(level(3, 'sell', '102', '1'), touched, rebuilt); // 2 is missing
    expect([...rebuilt]).toEqual(['BTC-USD']);
    expect(touched.size).toBe(0);
    expect(core.reads).toBe(2);
    expect(lines).toEqual([expect.objectContaining({ symbol: 'BTC-USD', expected: 2, got: 3, msg: 'test: book events skipped a sequence; rebuilding from the core' })]);
    // Later events of the batch are in the rebuilt mirror already: not applied again.
    books.applyLevel(level(4, 'sell', '103', '1'), touched, rebuilt);
    expect(books.mirrorOf('BTC-USD').bookSeq).toBe(4);

    books.resetViews('BTC-USD');
    expect([...books.viewsOf('BTC-USD')]).toEqual([view]);
    expect(view.bids).toEqual([['99', '7']]);
    expect(view.asks).toEqual([]);
    expect(view.bookSeq).toBe(4);
  });

  it('keeps no mirror for a symbol nobody watches, and drops it with the last view', () => {
    const { core, bookOf } = fakeCore(start);
    const books = new MirroredBooks(bookOf, capturingLogger().logger, 'test');
    const touched = new Set<string>();
    books.applyLevel(level(2, 'buy', '100', '2'), touched, new Set());
    expect(touched.size).toBe(0);
    expect(core.reads).toBe(0);

    books.view('BTC-USD', 1);
    books.view('BTC-USD', 10);
    books.drop('BTC-USD', 1);
    expect(books.existingView('BTC-USD', 1)).toBeUndefined();
    expect(books.existingView('BTC-USD', 10)).toBeDefined();
    books.drop('BTC-USD', 10);
    expect([...books.viewsOf('BTC-USD')]).toEqual([]);
    books.view('BTC-USD', 10);
    expect(core.reads).toBe(2); // a new mirror, from the core's book as it is now
  });
});
