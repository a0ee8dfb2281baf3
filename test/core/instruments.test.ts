import { describe, expect, it } from 'vitest';
import { BTC_USD, Harness, market } from './harness.js';

function withAssets(): Harness {
  const h = new Harness();
  h.ok({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
  h.ok({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  return h;
}

describe('assets', () => {
  it('adds an asset once, with 0 to 18 decimals', () => {
    const h = withAssets();
    expect(h.rejected({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } })).toBe('ASSET_EXISTS');
    expect(h.rejected({ type: 'AddAsset', spec: { asset: 'X', decimals: 19 } })).toBe('INVALID_COMMAND');
    expect(h.rejected({ type: 'AddAsset', spec: { asset: 'X', decimals: 1.5 } })).toBe('INVALID_COMMAND');
    expect(h.rejected({ type: 'AddAsset', spec: { asset: 'bad asset', decimals: 2 } })).toBe('INVALID_COMMAND');
    h.ok({ type: 'AddAsset', spec: { asset: 'JPY', decimals: 0 } });
    expect(h.core.assets()).toEqual([{ asset: 'BTC', decimals: 8 }, { asset: 'USD', decimals: 6 }, { asset: 'JPY', decimals: 0 }]);
  });
});

describe('AddInstrument', () => {
  it('adds a spot pair and reports it back in canonical form', () => {
    const h = withAssets();
    const events = h.ok({ type: 'AddInstrument', spec: { ...BTC_USD, tickSize: '0.010', priceBandBps: 500 } });
    expect(events.map((e) => e.type)).toEqual(['AdminApplied']);
    expect(h.core.instruments()).toEqual([{ ...BTC_USD, tickSize: '0.01', priceBandBps: 500 }]);
    expect(h.rejected({ type: 'AddInstrument', spec: BTC_USD })).toBe('SYMBOL_EXISTS');
  });

  it('needs known, distinct base and quote assets', () => {
    const h = withAssets();
    expect(h.rejected({ type: 'AddInstrument', spec: { ...BTC_USD, quote: 'EUR' } })).toBe('UNKNOWN_ASSET');
    expect(h.rejected({ type: 'AddInstrument', spec: { ...BTC_USD, quote: 'BTC' } })).toBe('INVALID_INSTRUMENT');
  });

  it('refuses tick decimals + lot decimals beyond the quote decimals, so every notional is exact', () => {
    const h = withAssets();
    // tick 0.01 (2) + lot 0.00001 (5) = 7 > USD's 6
    expect(h.rejected({ type: 'AddInstrument', spec: { ...BTC_USD, lotSize: '0.00001', minQuantity: '0.00001' } })).toBe('INVALID_INSTRUMENT');
    // tick 0.001 (3) + lot 0.001 (3) = 6: allowed
    h.ok({ type: 'AddInstrument', spec: { ...BTC_USD, tickSize: '0.001', lotSize: '0.001', minQuantity: '0.001' } });
  });

  it('validates sizes, limits, band and status', () => {
    const h = withAssets();
    const bad = [
      { tickSize: '0' }, { tickSize: '0.0000001' }, { tickSize: '-1' }, { lotSize: '0' }, { lotSize: '0.000000001' },
      { minQuantity: '0' }, { minQuantity: '0.00015' }, { maxQuantity: '0.00005' }, { minQuantity: '2', maxQuantity: '1' },
      { minNotional: '-1' }, { minNotional: '0.0000001' }, { priceBandBps: -1 }, { priceBandBps: 1.5 },
      { status: 'closed' }, { symbol: '' }, { symbol: 'has space' },
    ];
    for (const patch of bad) expect(h.rejected({ type: 'AddInstrument', spec: { ...BTC_USD, ...patch } as never }), JSON.stringify(patch)).toBe('INVALID_INSTRUMENT');
  });
});

describe('instrument status', () => {
  it('changes by command and is visible in instruments()', () => {
    const h = market();
    expect(h.rejected({ type: 'SetInstrumentStatus', symbol: 'ETH-USD', status: 'halted' })).toBe('UNKNOWN_SYMBOL');
    expect(h.rejected({ type: 'SetInstrumentStatus', symbol: 'BTC-USD', status: 'closed' as never })).toBe('INVALID_INSTRUMENT');
    h.ok({ type: 'SetInstrumentStatus', symbol: 'BTC-USD', status: 'halted' });
    expect(h.core.instruments()[0]!.status).toBe('halted');
  });

  for (const [status, code] of [['halted', 'INSTRUMENT_HALTED'], ['cancel_only', 'INSTRUMENT_CANCEL_ONLY']] as const) {
    it(`${status} rejects new orders and amends but allows cancels`, () => {
      const h = market();
      const id = h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
      h.ok({ type: 'SetInstrumentStatus', symbol: 'BTC-USD', status });
      const r = h.place('bob', { side: 'sell', price: '100', quantity: '1' });
      expect(r.ok ? 'accepted' : r.code).toBe(code);
      expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newQuantity: '0.5' })).toBe(code);
      h.ok({ type: 'CancelOrder', accountId: 'alice', orderId: id });
      expect(h.core.openOrders('alice')).toEqual([]);
    });
  }

  it('post_only accepts only post-only limit orders, and amends only if they rest', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '101', quantity: '1' });
    const id = h.placeOk('alice', { side: 'buy', price: '99', quantity: '1' });
    h.ok({ type: 'SetInstrumentStatus', symbol: 'BTC-USD', status: 'post_only' });
    for (const o of [
      { side: 'buy' as const, price: '98', quantity: '1' },
      { side: 'buy' as const, orderType: 'market' as const, timeInForce: 'IOC' as const, quantity: '1' },
    ]) {
      const r = h.place('carol', o);
      expect(r.ok ? 'accepted' : r.code).toBe('INSTRUMENT_POST_ONLY');
    }
    h.placeOk('carol', { side: 'buy', price: '98', quantity: '1', postOnly: true });
    expect(h.rejected({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '101' })).toBe('INSTRUMENT_POST_ONLY');
    h.ok({ type: 'AmendOrder', accountId: 'alice', orderId: id, newPrice: '100' });
    expect(h.core.book('BTC-USD')!.bids.map((l) => l.price)).toEqual(['100', '98']);
  });
});
