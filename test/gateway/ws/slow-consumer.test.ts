/**
 * Slow consumers over real sockets: a client that stops reading. Its market data is conflated
 * (skipped, then caught up with a fresh book snapshot) while a fast client on the same feed
 * sees every frame; a private stream is never thinned: the connection is closed with 4004.
 */
import { sampleSum } from '../../observability/exposition.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { WsTestClient } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';
import { eventually } from '../../helpers/eventually.js';
import { LocalBook } from './local-book.js';

let h: Harness;
let maker: Trader;
let taker: Trader;

/** Stops (or resumes) reading from the client's TCP socket, as a stalled client would. */
function reading(client: WsTestClient, on: boolean): void {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  if (on) socket.resume();
  else socket.pause();
}

/**
 * One burst of market data: 200 one-lot asks on 200 price levels, then a market buy that sweeps
 * them (a 200-trade frame and a large depth-100 update), all through the real command bus.
 */
async function sweep(symbol = 'BTC-USD'): Promise<void> {
  await Promise.all(Array.from({ length: 200 }, (_, i) => h.submit({
    type: 'PlaceOrder', accountId: maker.accountId, symbol, side: 'sell', orderType: 'limit', price: (30000 + i / 100).toFixed(2), quantity: '0.001', timeInForce: 'GTC',
  })));
  await h.submit({ type: 'PlaceOrder', accountId: taker.accountId, symbol, side: 'buy', orderType: 'market', quantity: '0.2', timeInForce: 'IOC' });
  // Let the clients (in this same process) read before the next burst.
  await new Promise((r) => setImmediate(r));
}

beforeAll(async () => {
  // A generous close grace: a loaded machine may take a while to drain the stalled buffer.
  h = await startHarness({ config: { conflateBytes: 1024 * 1024, maxBufferedBytes: 2 * 1024 * 1024, closeGraceMs: 30_000 } });
  maker = await h.trader('s-maker', ['read', 'trade'], { BTC: '1000' });
  taker = await h.trader('s-taker', ['read', 'trade'], { USD: '100000000' });
});

afterAll(async () => h.close());

describe('a stalled reader', () => {
  it('gets conflated market data and is caught up with a fresh snapshot; a fast reader misses nothing', async () => {
    const fast = await WsTestClient.connect(h.url);
    const slow = await WsTestClient.connect(h.url);
    for (const c of [fast, slow]) {
      await c.ok('subscribe', { channel: 'book', symbol: 'BTC-USD', depth: 100 });
      await c.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    }
    reading(slow, false);
    const conflatedBefore = h.gateway.metrics.conflations;
    for (let i = 0; i < 400 && h.gateway.metrics.conflations === conflatedBefore; i++) await sweep();
    expect(h.gateway.metrics.conflations).toBeGreaterThan(conflatedBefore);
    expect(sampleSum(await h.metricsText(), 'ws_conflations_total')).toBe(h.gateway.metrics.conflations);
    for (let i = 0; i < 5; i++) await sweep();
    reading(slow, true);
    // Once caught up (a second snapshot), trades flow again: one more burst shows the jump in trade ids.
    await slow.waitFor((f) => f.type === 'book.snapshot', { from: slow.frames.findIndex((f) => f.type === 'book.snapshot') + 1, timeoutMs: 60_000 });
    await sweep();

    const fastBook = new LocalBook();
    const slowBook = new LocalBook();
    const core = () => h.bus.core.book('BTC-USD', 100)!;
    const coreLevels = () => ({ bids: core().bids.map((l) => [l.price, l.quantity]), asks: core().asks.map((l) => [l.price, l.quantity]) });
    await eventually(() => {
      for (const [client, book] of [[fast, fastBook], [slow, slowBook]] as const) {
        book.bookSeq = -1;
        for (const f of client.frames) if (f.type === 'book.snapshot' || f.type === 'book.update') book.apply(f);
      }
      expect({ fast: fastBook.bookSeq, slow: slowBook.bookSeq }, 'books converge on the core').toEqual({ fast: core().bookSeq, slow: core().bookSeq });
    }, { timeoutMs: 60_000, intervalMs: 50 });
    expect(fastBook.problem).toBeUndefined();
    expect(slowBook.problem).toBeUndefined();
    expect(slowBook.levels()).toEqual(coreLevels());
    expect(fastBook.levels()).toEqual(coreLevels());

    // The fast reader saw every update and every trade; the slow one was skipped ahead.
    const snapshots = (c: WsTestClient) => c.frames.filter((f) => f.type === 'book.snapshot').length;
    expect(snapshots(fast)).toBe(1);
    expect(snapshots(slow)).toBeGreaterThan(1);
    const tradeIds = (c: WsTestClient) => c.frames.filter((f) => f.type === 'trades').flatMap((f) => f.trades.map((t: { tradeId: number }) => t.tradeId));
    const all = tradeIds(fast);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => all[0] + i));
    const seen = tradeIds(slow);
    expect(seen.length).toBeLessThan(all.length);
    expect(seen.some((id, i) => i > 0 && id !== seen[i - 1]! + 1)).toBe(true);
    expect(slow.ws.readyState).toBe(slow.ws.OPEN);
    expect(fast.violations).toEqual([]);
    expect(slow.violations).toEqual([]);
    fast.close();
    slow.close();
  });

  it('closes a connection whose private stream overflows with 4004, after delivering an unbroken prefix of it', async () => {
    const events: number[] = [];
    h.bus.onEvents((batch) => {
      for (const e of batch) if (e.type === 'BalanceChanged' && e.accountId === maker.accountId) events.push(e.seq);
    });
    const slow = await WsTestClient.connect(h.url);
    await slow.login(maker);
    const from = (await slow.ok('subscribe', { channel: 'balances' })).result.seq as number;
    await slow.ok('subscribe', { channel: 'fills' });
    await slow.ok('subscribe', { channel: 'orders' });
    reading(slow, false);
    const closesBefore = h.gateway.metrics.slowConsumerCloses;
    // Bursts go on in the background; reading resumes as soon as the gateway closes the connection.
    let closing = false;
    const bursts = (async () => { for (let i = 0; i < 400 && !closing; i++) await sweep(); })();
    await eventually(() => expect(h.gateway.metrics.slowConsumerCloses).toBe(closesBefore + 1), { timeoutMs: 60_000, intervalMs: 5 });
    closing = true;
    reading(slow, true);
    await bursts;
    expect((await slow.closed).code).toBe(4004);
    expect(sampleSum(await h.metricsText(), 'ws_slow_consumer_disconnects_total')).toBe(closesBefore + 1);

    const received = slow.frames.filter((f) => f.type === 'balances.update').map((f) => f.seq as number);
    const expected = events.filter((s) => s > from);
    expect(received.length).toBeGreaterThan(0);
    expect(received).toEqual(expected.slice(0, received.length));
    expect(slow.violations).toEqual([]);
  });
});
