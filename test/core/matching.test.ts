import { describe, expect, it } from 'vitest';
import { eventsOf, market } from './harness.js';

describe('matching', () => {
  it('fills best price first, then oldest first within a price, at the maker’s price', () => {
    const h = market();
    const a = h.placeOk('alice', { side: 'sell', price: '101', quantity: '1' });
    const b = h.placeOk('bob', { side: 'sell', price: '100', quantity: '1' });
    const c = h.placeOk('alice', { side: 'sell', price: '100', quantity: '1' });
    const r = h.place('carol', { side: 'buy', price: '102', quantity: '2.5' });
    const makers = eventsOf(r.events, 'OrderFilled').filter((f) => f.liquidity === 'maker');
    expect(makers.map((f) => [f.order.orderId, f.price, f.quantity])).toEqual([[b, '100', '1'], [c, '100', '1'], [a, '101', '0.5']]);
    expect(eventsOf(r.events, 'TradePrinted').every((t) => t.takerSide === 'buy')).toBe(true);
  });

  it('reports maker and taker on every trade and partially fills the last maker', () => {
    const h = market();
    const maker = h.placeOk('alice', { side: 'buy', price: '100', quantity: '3' });
    const r = h.place('bob', { side: 'sell', price: '99', quantity: '1' });
    const fills = eventsOf(r.events, 'OrderFilled');
    expect(fills.map((f) => [f.order.accountId, f.liquidity, f.order.status])).toEqual([['alice', 'maker', 'partially_filled'], ['bob', 'taker', 'filled']]);
    const [trade] = eventsOf(r.events, 'TradePrinted');
    expect(trade).toMatchObject({ price: '100', quantity: '1', takerSide: 'sell', makerOrderId: maker, takerOrderId: fills[1]!.order.orderId });
    expect(h.core.book('BTC-USD')!.bids).toEqual([{ price: '100', quantity: '2', orders: 1 }]);
  });

  it('does not trade through a limit price', () => {
    const h = market();
    h.placeOk('alice', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('alice', { side: 'sell', price: '100.02', quantity: '1' });
    const r = h.place('bob', { side: 'buy', price: '100.01', quantity: '2' });
    expect(eventsOf(r.events, 'TradePrinted').map((t) => t.price)).toEqual(['100']);
    expect(h.core.book('BTC-USD')).toMatchObject({ bids: [{ price: '100.01', quantity: '1' }], asks: [{ price: '100.02', quantity: '1' }] });
  });

  it('numbers trades sequentially per instrument', () => {
    const h = market();
    h.ok({ type: 'AddAsset', spec: { asset: 'ETH', decimals: 8 } });
    h.ok({ type: 'AddInstrument', spec: { symbol: 'ETH-USD', base: 'ETH', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '100', minNotional: '0', priceBandBps: 0, status: 'open' } });
    h.ok({ type: 'Deposit', accountId: 'alice', asset: 'ETH', amount: '10' });
    const ids: [string, number][] = [];
    for (const symbol of ['BTC-USD', 'ETH-USD', 'BTC-USD', 'BTC-USD', 'ETH-USD']) {
      h.placeOk('alice', { symbol, side: 'sell', price: '10', quantity: '0.5' });
      const r = h.place('bob', { symbol, side: 'buy', price: '10', quantity: '0.5' });
      for (const t of eventsOf(r.events, 'TradePrinted')) ids.push([t.symbol, t.tradeId]);
    }
    expect(ids).toEqual([['BTC-USD', 1], ['ETH-USD', 1], ['BTC-USD', 2], ['BTC-USD', 3], ['ETH-USD', 2]]);
  });

  it('emits the events of a trade in a fixed order', () => {
    const h = market();
    h.placeOk('alice', { side: 'sell', price: '100', quantity: '1' });
    const r = h.place('bob', { side: 'buy', price: '100', quantity: '1' });
    expect(r.events.map((e) => e.type)).toEqual([
      'OrderAccepted', 'BalanceChanged', // taker accepted, hold
      'OrderFilled', 'OrderFilled', 'TradePrinted', 'BookLevelChanged',
      'BalanceChanged', 'BalanceChanged', 'BalanceChanged', 'BalanceChanged', // buyer quote, buyer base, seller base, seller quote
      'PositionChanged', 'PositionChanged',
    ]);
  });
});
