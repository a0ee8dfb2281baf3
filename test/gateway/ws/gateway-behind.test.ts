/**
 * When the gateway as a whole is behind (more sends queued than `ws.conflateQueuedSends`), market
 * data is skipped for every subscriber of a topic, and each is caught up later with a fresh
 * snapshot: here several subscribers of one book, over real sockets, all end on the core's book.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { WsTestClient } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';
import { LocalBook } from './local-book.js';

let h: Harness;
let maker: Trader;

beforeAll(async () => {
  // A tiny queue threshold: every burst puts the gateway "behind" for the book's subscribers.
  h = await startHarness({ config: { conflateQueuedSends: 3 } });
  maker = await h.trader('b-maker', ['read', 'trade'], { BTC: '1000' });
});

afterAll(async () => h.close());

describe('a gateway behind on market data', () => {
  it('skips frames for every subscriber of the topic and catches each up to the core with a snapshot', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => WsTestClient.connect(h.url)));
    for (const c of clients) await c.ok('subscribe', { channel: 'book', symbol: 'BTC-USD', depth: 10 });
    const conflatedBefore = h.gateway.metrics.conflations;
    // Bursts of resting asks, each lower than the last (so each changes the top 10) and each its
    // own batch, all before the gateway's next delivery turn: the first burst's frames fill the
    // queue, the later ones find it full.
    const placed: Promise<unknown>[] = [];
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 10; i++) {
        placed.push(h.submit({
          type: 'PlaceOrder', accountId: maker.accountId, symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: (32000 - burst - i / 100).toFixed(2), quantity: '0.001', timeInForce: 'GTC',
        }));
      }
      await Promise.resolve(); // the bus closes this batch
    }
    await Promise.all(placed);
    await eventually(() => expect(h.gateway.metrics.conflations - conflatedBefore).toBeGreaterThanOrEqual(clients.length), { timeoutMs: 60_000 });

    const core = () => h.bus.core.book('BTC-USD', 10)!;
    const coreLevels = () => ({ bids: core().bids.map((l) => [l.price, l.quantity]), asks: core().asks.map((l) => [l.price, l.quantity]) });
    await eventually(() => {
      for (const client of clients) {
        const book = new LocalBook();
        for (const f of client.frames) if (f.type === 'book.snapshot' || f.type === 'book.update') book.apply(f);
        expect(book.problem).toBeUndefined();
        expect(book.bookSeq, 'the book converges on the core').toBe(core().bookSeq);
        expect(book.levels()).toEqual(coreLevels());
      }
    }, { timeoutMs: 60_000, intervalMs: 50 });
    for (const client of clients) {
      expect(client.frames.filter((f) => f.type === 'book.snapshot').length, 'caught up with a fresh snapshot').toBeGreaterThan(1);
      expect(client.violations).toEqual([]);
      client.close();
    }
  });
});
