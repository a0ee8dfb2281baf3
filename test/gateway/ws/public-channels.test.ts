/**
 * Public channels over real sockets: the book (snapshot, deltas, sequence numbers, checksum),
 * trades, ticker and candles, while other clients trade at the same time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientPool, type Frame } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';
import { LocalBook } from './local-book.js';
import { eventually } from '../../helpers/eventually.js';
import { trade } from './workload.js';

let h: Harness;
let traders: Trader[];
const pool = new ClientPool();
const connect = () => pool.connect(h.url);

function coreLevels(symbol: string, depth: number) {
  const book = h.bus.core.book(symbol, depth)!;
  return { bids: book.bids.map((l) => [l.price, l.quantity]), asks: book.asks.map((l) => [l.price, l.quantity]) };
}

beforeAll(async () => {
  h = await startHarness({ config: { tickerIntervalMs: 50 } });
  traders = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((id) => h.trader(id)));
});

afterEach(() => expect(pool.release()).toEqual([]));

afterAll(async () => h.close());

describe('book channel', () => {
  it('rebuilds the core book from snapshot plus deltas, gap-free and checksum-clean, while four clients trade concurrently', async () => {
    const observer = await connect();
    const books = new Map<number, LocalBook>([[1, new LocalBook()], [10, new LocalBook()], [100, new LocalBook()]]);
    for (const depth of books.keys()) await observer.ok('subscribe', { channel: 'book', symbol: 'BTC-USD', depth });

    const outcome = await trade(h.url, traders, 60, 7);
    expect(outcome.placed).toBeGreaterThan(100);

    await eventually(() => {
      for (const [depth, book] of books) {
        book.bids.clear();
        book.asks.clear();
        book.bookSeq = -1;
        book.problem = undefined;
        for (const f of observer.frames) if ((f.type === 'book.snapshot' || f.type === 'book.update') && f.depth === depth) book.apply(f);
        expect(book.problem).toBeUndefined();
        expect(book.levels()).toEqual(coreLevels('BTC-USD', depth));
      }
    });
    const updates = observer.frames.filter((f) => f.type === 'book.update' && f.depth === 100);
    expect(updates.length).toBeGreaterThan(20);
    // Global sequence numbers only grow along one subscription.
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.seq).toBeGreaterThan(updates[i - 1]!.seq);
  });

  it('lets a client detect a missed update (prevBookSeq and checksum) and resync by resubscribing', async () => {
    const observer = await connect();
    await observer.ok('subscribe', { channel: 'book', symbol: 'ETH-BTC', depth: 10 });
    const book = new LocalBook();
    book.apply(await observer.waitFor((f) => f.type === 'book.snapshot'));

    // Force a gap: the client loses the first update it is sent.
    const trader = await connect();
    await trader.login(traders[0]!);
    const from = observer.frames.length;
    for (let i = 0; i < 6; i++) {
      await trader.ok('placeOrder', { symbol: 'ETH-BTC', side: 'buy', type: 'limit', price: (0.05 + i / 100000).toFixed(5), quantity: '1', timeInForce: 'GTC' });
    }
    const isUpdate = (f: Frame) => f.type === 'book.update';
    await observer.waitFor((f) => isUpdate(f) && observer.frames.slice(from).filter(isUpdate).length >= 6, { from });
    const [dropped, ...rest] = observer.frames.slice(from).filter(isUpdate);
    expect(dropped).toBeDefined();
    for (const f of rest) book.apply(f);
    expect(book.problem).toBe('gap');

    // The same loss without sequence checking still shows up in the checksum.
    const unchecked = new LocalBook();
    unchecked.apply(observer.frames.find((f) => f.type === 'book.snapshot')!);
    unchecked.apply({ ...rest[0]!, prevBookSeq: unchecked.bookSeq });
    expect(unchecked.problem).toBe('checksum');

    await observer.ok('unsubscribe', { channel: 'book', symbol: 'ETH-BTC', depth: 10 });
    const resubscribed = observer.frames.length;
    await observer.ok('subscribe', { channel: 'book', symbol: 'ETH-BTC', depth: 10 });
    book.apply(await observer.waitFor((f) => f.type === 'book.snapshot', { from: resubscribed }));
    expect(book.problem).toBeUndefined();
    expect(book.levels()).toEqual(coreLevels('ETH-BTC', 10));
  });

  it('sends a snapshot on subscribe that matches the core, with the default depth of 10', async () => {
    const observer = await connect();
    const reply = await observer.ok('subscribe', { channel: 'book', symbol: 'BTC-USD' });
    expect(reply.result).toEqual({ channel: 'book', symbol: 'BTC-USD', depth: 10 });
    const snapshot = await observer.waitFor((f) => f.type === 'book.snapshot');
    expect({ bids: snapshot.bids, asks: snapshot.asks }).toEqual(coreLevels('BTC-USD', 10));
    expect(observer.frames.indexOf(snapshot)).toBeGreaterThan(observer.frames.indexOf(reply));
  });

  it('stops sending after unsubscribe', async () => {
    const observer = await connect();
    await observer.ok('subscribe', { channel: 'book', symbol: 'ETH-USD', depth: 5 });
    await observer.ok('unsubscribe', { channel: 'book', symbol: 'ETH-USD', depth: 5 });
    const from = observer.frames.length;
    const trader = await connect();
    await trader.login(traders[1]!);
    await trader.ok('placeOrder', { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '10', quantity: '1', timeInForce: 'GTC' });
    await observer.ok('ping');
    expect(observer.frames.slice(from).filter((f) => f.type.startsWith('book'))).toEqual([]);
  });
});

describe('trades, ticker and candles', () => {
  it('delivers every trade once, oldest first, with consecutive trade ids, and ticker and candle updates', async () => {
    const observer = await connect();
    await observer.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    await observer.ok('subscribe', { channel: 'ticker', symbol: 'BTC-USD' });
    await observer.ok('subscribe', { channel: 'candles', symbol: 'BTC-USD', interval: '1m' });
    const before = h.bus.core.recentTrades('BTC-USD', 1)[0]?.tradeId ?? 0;

    await trade(h.url, traders, 40, 99);

    const after = h.bus.core.recentTrades('BTC-USD', 1)[0]!.tradeId;
    expect(after).toBeGreaterThan(before);
    await eventually(() => {
      const ids = observer.frames.filter((f) => f.type === 'trades').flatMap((f) => f.trades.map((t: { tradeId: number }) => t.tradeId));
      expect(ids).toEqual(Array.from({ length: after - before }, (_, i) => before + 1 + i));
    });
    const trades = observer.frames.filter((f) => f.type === 'trades').flatMap((f) => f.trades);
    for (let i = 1; i < trades.length; i++) expect(trades[i].seq).toBeGreaterThan(trades[i - 1].seq);
    const last = h.bus.core.recentTrades('BTC-USD', 1)[0]!;
    await eventually(() => {
      const ticker = observer.frames.filter((f) => f.type === 'ticker').at(-1)!;
      expect(ticker.last).toBe(last.price);
      expect(ticker.tradeCount).toBe(h.bus.core.ticker('BTC-USD', Date.now())!.tradeCount);
      const candle = observer.frames.filter((f) => f.type === 'candle').at(-1)!;
      expect(candle.close).toBe(last.price);
      expect(candle.interval).toBe('1m');
    });
  });

  it('starts a ticker subscription with the current ticker', async () => {
    const observer = await connect();
    await observer.ok('subscribe', { channel: 'ticker', symbol: 'BTC-USD' });
    const ticker = await observer.waitFor((f) => f.type === 'ticker');
    expect(ticker.symbol).toBe('BTC-USD');
    expect(ticker.last).toBe(h.bus.core.ticker('BTC-USD', Date.now())!.last);
  });
});

describe('subscription errors', () => {
  it('refuses an unknown symbol, a duplicate, an unknown subscription and bad parameters with catalog codes', async () => {
    const c = await connect();
    expect(await c.request('subscribe', { channel: 'trades', symbol: 'NOPE-USD' })).toMatchObject({ type: 'error', code: 'UNKNOWN_SYMBOL', status: 400 });
    await c.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    expect(await c.request('subscribe', { channel: 'trades', symbol: 'BTC-USD' })).toMatchObject({ type: 'error', code: 'WS_ALREADY_SUBSCRIBED', status: 409 });
    expect(await c.request('unsubscribe', { channel: 'ticker', symbol: 'BTC-USD' })).toMatchObject({ type: 'error', code: 'WS_NOT_SUBSCRIBED', status: 404 });
    const badDepth = await c.request('subscribe', { channel: 'book', symbol: 'BTC-USD', depth: 7 });
    expect(badDepth).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', status: 400 });
    expect(badDepth.errors).toEqual([{ path: '/args/depth', message: 'must be equal to one of the allowed values' }]);
    const badChannel = await c.request('subscribe', { channel: 'news', symbol: 'BTC-USD' });
    expect(badChannel).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/args/channel', message: 'has no allowed value "news"' }] });
    expect(await c.request('subscribe', { channel: 'candles', symbol: 'BTC-USD' })).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/args/interval', message: 'is required' }] });
  });

  it('needs a login for private channels', async () => {
    const c = await connect();
    expect(await c.request('subscribe', { channel: 'orders' })).toMatchObject({ type: 'error', code: 'WS_LOGIN_REQUIRED', status: 401 });
  });
});
