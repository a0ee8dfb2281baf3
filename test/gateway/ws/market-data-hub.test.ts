/**
 * The market-data hub when the whole gateway is behind: a topic's frames are skipped with one
 * mark on the topic (nothing queued per subscriber), and once the delivery queue has drained to
 * half the threshold every subscriber gets one fresh state, after which updates follow it.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BookLevelChanged, BookSnapshot, CoreView } from '../../../server/src/core/api.js';
import type { Subscription, WsConnection } from '../../../server/src/gateway/ws/connection.js';
import { DeliveryQueue } from '../../../server/src/gateway/ws/delivery-queue.js';
import { MarketDataHub } from '../../../server/src/gateway/ws/market-data.js';
import { WriteBatch } from '../../../server/src/gateway/ws/write-batch.js';
import { LocalBook } from './local-book.js';

const KEY = 'book:BTC-USD:10';

function setup(subscribers: number, conflateSends: number) {
  const book: BookSnapshot = { symbol: 'BTC-USD', seq: 0, bookSeq: 0, bids: [], asks: [] };
  const core = { seq: 0, book: () => structuredClone(book), instruments: () => [{ symbol: 'BTC-USD' }] } as unknown as CoreView;
  const turns: (() => void)[] = [];
  const outbound = new DeliveryQueue(new WriteBatch(), { budgetMicros: 1000, maxSendsPerTurn: 1_000_000 }, { now: () => 0, schedule: (turn) => turns.push(turn) });
  const metrics = { conflations: 0 };
  const hub = new MarketDataHub(() => core, () => 0, 250, pino({ level: 'silent' }), outbound, conflateSends, metrics);
  const received = Array.from({ length: subscribers }, () => [] as { type: string; bookSeq: number; prevBookSeq?: number }[]);
  for (const frames of received) {
    const subscriptions = new Map<string, Subscription>();
    const connection = {
      subscriptions,
      sendPublic: (_sub: Subscription, data: Buffer) => {
        frames.push(JSON.parse(data.toString()));
        return true;
      },
    } as unknown as WsConnection;
    const sub: Subscription = { key: KEY, connection, channel: 'book', symbol: 'BTC-USD', depth: 10, afterSeq: 0, stale: false };
    subscriptions.set(KEY, sub);
    frames.push(JSON.parse(hub.subscribe(sub)!.toString()));
  }
  let seq = 0;
  /** A new best bid (one level change), as the core would publish it. */
  const bid = (price: string) => {
    seq++;
    book.bookSeq++;
    book.seq = seq;
    book.bids.push({ price, quantity: '1', orders: 1 });
    const e: BookLevelChanged = { type: 'BookLevelChanged', seq, ts: 0, symbol: 'BTC-USD', bookSeq: book.bookSeq, side: 'buy', price, quantity: '1' };
    hub.onEvents([e]);
  };
  const drain = () => {
    while (turns.length > 0) turns.shift()!();
  };
  return { hub, outbound, metrics, received, bid, drain };
}

describe('market data while the gateway is behind', () => {
  it('skips a topic with one mark, queues nothing for it, and catches every subscriber up with one fresh state', () => {
    const { hub, outbound, metrics, received, bid, drain } = setup(4, 3);
    bid('100.00'); // queued for the 4 subscribers: the queue now holds more than the threshold of 3
    expect(outbound.pendingPublicSends).toBe(4);
    bid('99.00');
    bid('98.00');
    expect(outbound.pendingPublicSends, 'the skipped frames queue nothing').toBe(4);
    expect(metrics.conflations, 'each subscriber counted once').toBe(4);
    hub.catchUpTopics();
    expect(outbound.pendingPublicSends, 'no catch-up before the queue drains to half').toBe(4);
    drain();
    hub.catchUpTopics();
    expect(outbound.pendingPublicSends, 'one fresh state a subscriber').toBe(4);
    drain();
    bid('97.00'); // the topic is no longer skipped
    drain();
    for (const frames of received) {
      expect(frames.map((f) => [f.type, f.bookSeq])).toEqual([
        ['book.snapshot', 0], ['book.update', 1], ['book.snapshot', 3], ['book.update', 4],
      ]);
      const local = new LocalBook();
      for (const f of frames) local.apply(f as never);
      expect(local.problem).toBeUndefined();
      expect(local.bookSeq).toBe(4);
    }
  });
});
