import { describe, expect, it } from 'vitest';
import { eventsOf, market } from './harness.js';

describe('deposits and withdrawals', () => {
  it('credit and debit the account and say so in events', () => {
    const h = market({}, {}, '0', '0');
    const events = h.ok({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '250.5', reference: 'wire-1' });
    expect(events.map((e) => e.type)).toEqual(['AdminApplied', 'BalanceChanged']);
    expect(events[1]).toMatchObject({ accountId: 'alice', asset: 'USD', total: '250.5', available: '250.5', hold: '0', reason: 'deposit' });
    h.ok({ type: 'Withdraw', accountId: 'alice', asset: 'USD', amount: '50.25' });
    expect(h.balance('alice', 'USD')).toEqual({ total: '200.25', available: '200.25', hold: '0' });
  });

  it('refuses bad amounts, unknown accounts or assets, and withdrawing more than is available', () => {
    const h = market({}, {}, '100', '0');
    for (const amount of ['0', '-1', '1.0000001', 'abc', '']) {
      expect(h.rejected({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount }), amount).toBe('INVALID_AMOUNT');
    }
    expect(h.rejected({ type: 'Deposit', accountId: 'nobody', asset: 'USD', amount: '1' })).toBe('UNKNOWN_ACCOUNT');
    expect(h.rejected({ type: 'Deposit', accountId: 'alice', asset: 'EUR', amount: '1' })).toBe('UNKNOWN_ASSET');
    expect(h.rejected({ type: 'Withdraw', accountId: 'alice', asset: 'USD', amount: '100.000001' })).toBe('INSUFFICIENT_FUNDS');
    h.placeOk('alice', { side: 'buy', price: '60', quantity: '1' }); // holds 60
    expect(h.rejected({ type: 'Withdraw', accountId: 'alice', asset: 'USD', amount: '40.000001' })).toBe('INSUFFICIENT_FUNDS');
    h.ok({ type: 'Withdraw', accountId: 'alice', asset: 'USD', amount: '40' });
    expect(h.balance('alice', 'USD')).toEqual({ total: '60', available: '0', hold: '60' });
  });
});

describe('holds', () => {
  it('a buy holds quote plus the maximum fee at the taker rate, rounded up', () => {
    const h = market({ defaultMakerBps: 5, defaultTakerBps: 10 });
    const r = h.place('alice', { side: 'buy', price: '30000.01', quantity: '0.0003' });
    // notional 9.000003; fee 10 bps = 0.0090000030 -> 0.009001 (up to USD's 6 decimals)
    expect(eventsOf(r.events, 'BalanceChanged')[0]).toMatchObject({ asset: 'USD', hold: '9.009004', reason: 'order_hold' });
  });

  it('a sell holds base; a cancel releases exactly what remains', () => {
    const h = market();
    const id = h.placeOk('alice', { side: 'sell', price: '100', quantity: '0.75' });
    expect(h.balance('alice', 'BTC')).toEqual({ total: '100', available: '99.25', hold: '0.75' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '0.25' });
    expect(h.balance('alice', 'BTC')).toEqual({ total: '99.75', available: '99.25', hold: '0.5' });
    const events = h.ok({ type: 'CancelOrder', accountId: 'alice', orderId: id });
    expect(eventsOf(events, 'BalanceChanged')).toMatchObject([{ asset: 'BTC', hold: '0', reason: 'order_release' }]);
    expect(h.balance('alice', 'BTC')).toEqual({ total: '99.75', available: '99.75', hold: '0' });
  });

  it('a buy filled at a better price releases the price improvement', () => {
    const h = market();
    h.placeOk('bob', { side: 'sell', price: '90', quantity: '1' });
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '2' });
    // 1 bought at 90; 1 still open at 100
    expect(h.balance('alice', 'USD')).toEqual({ total: '999910', available: '999810', hold: '100' });
  });

  it('refuses an order the account cannot cover', () => {
    const h = market({ defaultTakerBps: 10 }, {}, '100', '1');
    expect(h.place('alice', { side: 'buy', price: '100', quantity: '1' })).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' }); // needs 100.1
    expect(h.place('alice', { side: 'sell', price: '100', quantity: '1.0001' })).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    h.placeOk('alice', { side: 'buy', price: '99.9', quantity: '1' }); // 99.9 + 0.0999
  });
});

describe('settlement and fees', () => {
  it('settles both sides atomically and pays fees to the fee account (worked example)', () => {
    const h = market({ defaultMakerBps: 5, defaultTakerBps: 10 });
    h.placeOk('alice', { side: 'sell', price: '30000.01', quantity: '0.0003' });
    const r = h.place('bob', { side: 'buy', price: '30000.01', quantity: '0.0003' });
    // notional 9.000003; maker fee ceil(0.0045000015) = 0.004501; taker fee ceil(0.009000003) = 0.009001
    const fills = eventsOf(r.events, 'OrderFilled');
    expect(fills.map((f) => [f.order.accountId, f.liquidity, f.fee, f.feeAsset])).toEqual([
      ['alice', 'maker', '0.004501', 'USD'], ['bob', 'taker', '0.009001', 'USD'],
    ]);
    expect(h.balance('bob', 'USD')).toEqual({ total: '999990.990996', available: '999990.990996', hold: '0' }); // -9.009004
    expect(h.balance('bob', 'BTC').total).toBe('100.0003');
    expect(h.balance('alice', 'BTC')).toEqual({ total: '99.9997', available: '99.9997', hold: '0' });
    expect(h.balance('alice', 'USD').total).toBe('1000008.995502'); // +9.000003 - 0.004501
    expect(h.balance('fees', 'USD').total).toBe('0.013502');
    // All balance changes of the trade are in the same command's events.
    expect(eventsOf(r.events, 'BalanceChanged').map((e) => [e.accountId, e.asset, e.reason])).toEqual([
      ['bob', 'USD', 'order_hold'], ['bob', 'USD', 'trade'], ['bob', 'BTC', 'trade'], ['alice', 'BTC', 'trade'], ['alice', 'USD', 'trade'],
      ['fees', 'USD', 'fee'],
    ]);
  });

  it('rounds a charged fee up once on the order running total, not on every fill', () => {
    const h = market({ defaultTakerBps: 10 });
    for (let i = 0; i < 3; i++) h.placeOk('alice', { side: 'sell', price: '30000.01', quantity: '0.0001' });
    const r = h.place('bob', { side: 'buy', price: '30000.01', quantity: '0.0003' });
    // each fill is 3.000001 USD; exact fee 0.0030000010 each; running total rounded up: 0.003001, 0.006001, 0.009001
    expect(eventsOf(r.events, 'OrderFilled').filter((f) => f.liquidity === 'taker').map((f) => f.fee)).toEqual(['0.003001', '0.003', '0.003']);
  });

  it('rounds a maker rebate down on each fill and pays it from the fee account', () => {
    const h = market({ defaultMakerBps: -1, defaultTakerBps: 3 });
    h.placeOk('alice', { side: 'sell', price: '30000.01', quantity: '0.0001' });
    const r = h.place('bob', { side: 'buy', price: '30000.01', quantity: '0.0001' });
    // notional 3.000001: rebate floor(0.0003000001) = 0.0003; taker fee ceil(0.0009000003) = 0.000901
    expect(eventsOf(r.events, 'OrderFilled').map((f) => f.fee)).toEqual(['-0.0003', '0.000901']);
    expect(h.balance('alice', 'USD').total).toBe('1000003.000301');
    expect(h.balance('fees', 'USD').total).toBe('0.000601');
  });
});

describe('fee schedules', () => {
  it('new accounts get the default schedule', () => {
    const h = market({ defaultMakerBps: 2, defaultTakerBps: 7 });
    expect(h.core.account('alice')).toMatchObject({ makerBps: 2, takerBps: 7 });
  });

  it('validates a schedule: integer bps in range, maker + taker >= 0', () => {
    const h = market();
    for (const [makerBps, takerBps] of [[-5, 4], [1.5, 2], [0, 10_001], [-10_000, 10_000]]) {
      expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: makerBps!, takerBps: takerBps! })).toBe('INVALID_FEE_SCHEDULE');
    }
    expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'nobody', makerBps: 0, takerBps: 0 })).toBe('UNKNOWN_ACCOUNT');
    expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'fees', makerBps: 0, takerBps: 0 })).toBe('INVALID_FEE_SCHEDULE');
    h.ok({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: 3, takerBps: 8 });
    expect(h.core.account('alice')).toMatchObject({ makerBps: 3, takerBps: 8 });
  });

  it('keeps every maker rebate within every taker fee across accounts, so the fee account never pays out more than it takes', () => {
    const h = market({ defaultMakerBps: 0, defaultTakerBps: 5 });
    h.ok({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: -3, takerBps: 5 });
    expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'bob', makerBps: 0, takerBps: 2 })).toBe('INVALID_FEE_SCHEDULE');
    expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'bob', makerBps: -6, takerBps: 6 })).toBe('INVALID_FEE_SCHEDULE');
    h.ok({ type: 'SetFeeSchedule', accountId: 'bob', makerBps: -1, takerBps: 3 });
  });

  it('recomputes the holds of open buys at the new rates, and refuses a change the account cannot cover', () => {
    const h = market({}, {}, '100.05', '0');
    h.placeOk('alice', { side: 'buy', price: '100', quantity: '1' });
    expect(h.balance('alice', 'USD').hold).toBe('100');
    const events = h.ok({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: 2, takerBps: 5 });
    expect(eventsOf(events, 'BalanceChanged')).toMatchObject([{ asset: 'USD', hold: '100.05', reason: 'order_hold' }]);
    expect(h.rejected({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: 2, takerBps: 6 })).toBe('INSUFFICIENT_FUNDS');
    h.ok({ type: 'SetFeeSchedule', accountId: 'alice', makerBps: 0, takerBps: 0 });
    expect(h.balance('alice', 'USD')).toEqual({ total: '100.05', available: '0.05', hold: '100' });
  });

  it('the fee account cannot trade but can withdraw what it collected', () => {
    const h = market({ defaultTakerBps: 10 });
    h.placeOk('alice', { side: 'sell', price: '100', quantity: '1' });
    h.placeOk('bob', { side: 'buy', price: '100', quantity: '1' });
    expect(h.balance('fees', 'USD').total).toBe('0.1');
    expect(h.place('fees', { side: 'buy', price: '100', quantity: '0.0001' })).toMatchObject({ ok: false, code: 'INVALID_ORDER' });
    h.ok({ type: 'Withdraw', accountId: 'fees', asset: 'USD', amount: '0.1' });
  });
});
