import { describe, expect, it } from 'vitest';
import type { AcceptQuote, Command, CoreSnapshot, IssueQuote } from '../../server/src/core/api.js';
import { restoreCore } from '../../server/src/core/index.js';
import { eventsOf, market, T0, type Harness } from './harness.js';

const VALID_FOR = 5_000;

/** A firm OTC desk ("desk") beside alice, bob and carol, all funded by market(). */
function otcMarket(options: Parameters<typeof market>[0] = {}): Harness {
  const h = market(options);
  h.ok({ type: 'CreateAccount', accountId: 'desk' });
  h.ok({ type: 'Deposit', accountId: 'desk', asset: 'USD', amount: '1000000' });
  h.ok({ type: 'Deposit', accountId: 'desk', asset: 'BTC', amount: '100' });
  return h;
}

function issue(h: Harness, over: Partial<IssueQuote> = {}): string {
  const events = h.ok({
    type: 'IssueQuote', accountId: 'alice', counterpartyId: 'desk', provider: 'pricer', symbol: 'BTC-USD', side: 'two_way',
    bidPrice: '99', askPrice: '101', quantity: '2', validUntil: h.ts + VALID_FOR, ...over,
  } as IssueQuote);
  const issued = eventsOf(events, 'QuoteIssued');
  expect(issued).toHaveLength(1);
  return issued[0]!.quote.quoteId;
}

function accept(h: Harness, quoteId: string, over: Partial<AcceptQuote> = {}): ReturnType<Harness['run']> {
  return h.run({ type: 'AcceptQuote', accountId: 'alice', quoteId, side: 'buy', ...over });
}

describe('OTC quotes in the core', () => {
  it('an accept 1 ms before validUntil executes; 1 ms after, it is QUOTE_EXPIRED and nothing moves', () => {
    const h = otcMarket();
    const on = issue(h);
    h.ts += VALID_FOR - 1;
    expect(accept(h, on).ok).toBe(true);

    const late = issue(h);
    h.ts += VALID_FOR + 1;
    const before = JSON.stringify([h.core.balances('alice'), h.core.balances('desk'), h.core.positions('alice')]);
    const r = accept(h, late);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('QUOTE_EXPIRED');
    expect(JSON.stringify([h.core.balances('alice'), h.core.balances('desk'), h.core.positions('alice')])).toBe(before);
    expect(h.core.quote('alice', late)?.status).toBe('expired');
  });

  it('an accept exactly at validUntil is on time (validUntil is inclusive)', () => {
    const h = otcMarket();
    const id = issue(h);
    h.ts += VALID_FOR;
    expect(accept(h, id).ok).toBe(true);
  });

  it('executes at exactly the quoted price and size, both balances moved, fees by the OTC schedule', () => {
    const h = otcMarket();
    h.ok({ type: 'SetOtcFeeSchedule', accountId: 'alice', otcBps: 10 });
    h.ok({ type: 'SetOtcFeeSchedule', accountId: 'desk', otcBps: 3 });
    const id = issue(h);
    const r = accept(h, id, { clientOrderId: 'acc-1' });
    expect(r.ok).toBe(true);
    // notional 2 × 101 = 202; alice pays 0.202 fee (10 bps), desk 0.0606 (3 bps).
    expect(h.balance('alice', 'USD').total).toBe('999797.798');
    expect(h.balance('alice', 'BTC').total).toBe('102');
    expect(h.balance('desk', 'USD').total).toBe('1000201.9394');
    expect(h.balance('desk', 'BTC').total).toBe('98');
    expect(h.balance('fees', 'USD').total).toBe('0.2626');

    const fills = eventsOf(r.events, 'OrderFilled');
    expect(fills.map((f) => [f.order.accountId, f.order.side, f.price, f.quantity, f.liquidity, f.order.quoteId])).toEqual([
      ['alice', 'buy', '101', '2', 'rfq', id],
      ['desk', 'sell', '101', '2', 'maker', id],
    ]);
    expect(fills[0]!.tradeId).toBe(fills[1]!.tradeId);
    expect(fills[0]!.order.clientOrderId).toBe('acc-1');
    expect(fills[0]!.order.status).toBe('filled');
    expect(h.core.positions('alice')).toEqual([{ symbol: 'BTC-USD', netQuantity: '2', averageEntryPrice: '101', realizedPnl: '0' }]);
    expect(h.core.positions('desk')?.[0]?.netQuantity).toBe('-2');
    const closed = eventsOf(r.events, 'QuoteClosed')[0]!.quote;
    expect(closed).toMatchObject({ quoteId: id, status: 'executed', executedSide: 'buy', tradeId: fills[0]!.tradeId, orderId: fills[0]!.order.orderId });
    expect(h.core.order('alice', { clientOrderId: 'acc-1' })).toBeUndefined(); // done at once: no live order
    expect(h.core.order('alice', { orderId: fills[0]!.order.orderId })?.quoteId).toBe(id);
  });

  it('does not print to the public tape unless configured', () => {
    const quiet = otcMarket();
    const r1 = accept(quiet, issue(quiet));
    expect(eventsOf(r1.events, 'TradePrinted')).toHaveLength(0);
    expect(quiet.core.recentTrades('BTC-USD', 10)).toEqual([]);

    const loud = otcMarket({ printQuoteTrades: true });
    const r2 = accept(loud, issue(loud));
    expect(eventsOf(r2.events, 'TradePrinted')).toHaveLength(1);
    expect(loud.core.recentTrades('BTC-USD', 10).map((t) => [t.price, t.quantity, t.takerSide])).toEqual([['101', '2', 'buy']]);
  });

  it('a quote executes at most once: a second accept is QUOTE_NOT_OPEN and moves nothing', () => {
    const h = otcMarket();
    const id = issue(h);
    expect(accept(h, id).ok).toBe(true);
    const after = JSON.stringify([h.core.balances('alice'), h.core.balances('desk')]);
    const again = accept(h, id, { side: 'sell' });
    expect(again.ok ? 'ok' : again.code).toBe('QUOTE_NOT_OPEN');
    expect(JSON.stringify([h.core.balances('alice'), h.core.balances('desk')])).toBe(after);
  });

  it('insufficient balance: the client gets INSUFFICIENT_FUNDS, a short quoter QUOTE_UNAVAILABLE, and the quote stays open', () => {
    const h = otcMarket();
    const big = issue(h, { quantity: '20000', askPrice: '101', bidPrice: '99' }); // 2,020,000 USD > alice's 1,000,000
    const r = accept(h, big);
    expect(r.ok ? 'ok' : r.code).toBe('INSUFFICIENT_FUNDS');
    expect(h.core.quote('alice', big)?.status).toBe('open');
    // alice sells 200 BTC to the desk: she has only 100.
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, issue(h, { quantity: '200' }), { side: 'sell' }))).toBe('INSUFFICIENT_FUNDS');
    // The desk holds 100 BTC: it cannot deliver 150.
    h.ok({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '100000' });
    const short = issue(h, { quantity: '150' });
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, short))).toBe('QUOTE_UNAVAILABLE');
    expect(h.balance('desk', 'BTC').total).toBe('100');
    expect(h.balance('alice', 'BTC').total).toBe('100');
  });

  it('counts holds: funds held by open orders are not available to a quote', () => {
    const h = otcMarket();
    h.placeOk('alice', { side: 'buy', price: '990', quantity: '1000' }); // holds 990,000 USD
    const r = accept(h, issue(h, { quantity: '100' })); // 10,100 USD > the 10,000 left
    expect(r.ok ? 'ok' : r.code).toBe('INSUFFICIENT_FUNDS');
  });

  it('another account\'s quote is QUOTE_NOT_FOUND, like an unknown id', () => {
    const h = otcMarket();
    const id = issue(h);
    expect(((x) => (x.ok ? 'ok' : x.code))(h.run({ type: 'AcceptQuote', accountId: 'bob', quoteId: id, side: 'buy' }))).toBe('QUOTE_NOT_FOUND');
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, '999'))).toBe('QUOTE_NOT_FOUND');
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, 'x1'))).toBe('QUOTE_NOT_FOUND');
    expect(h.core.quote('bob', id)).toBeUndefined();
    expect(h.core.quote('alice', id)?.status).toBe('open');
  });

  it('a side, quantity or price that does not match the quote is QUOTE_MISMATCH', () => {
    const h = otcMarket();
    const buyOnly = issue(h, { side: 'buy', bidPrice: undefined });
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, buyOnly, { side: 'sell' }))).toBe('QUOTE_MISMATCH');
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, buyOnly, { quantity: '1' }))).toBe('QUOTE_MISMATCH');
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, buyOnly, { price: '99' }))).toBe('QUOTE_MISMATCH');
    expect(accept(h, buyOnly, { quantity: '2.000', price: '101.00' }).ok).toBe(true);
  });

  it('decline and withdrawal close the quote; an accept after either is QUOTE_NOT_OPEN', () => {
    const h = otcMarket();
    const declined = issue(h);
    expect(h.run({ type: 'DeclineQuote', accountId: 'alice', quoteId: declined }).ok).toBe(true);
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, declined))).toBe('QUOTE_NOT_OPEN');
    const withdrawn = issue(h);
    const w = h.run({ type: 'WithdrawQuote', quoteId: withdrawn });
    expect(eventsOf(w.events, 'QuoteClosed')[0]?.quote.status).toBe('withdrawn');
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(h, withdrawn))).toBe('QUOTE_NOT_OPEN');
    expect(((x) => (x.ok ? 'ok' : x.code))(h.run({ type: 'DeclineQuote', accountId: 'bob', quoteId: withdrawn }))).toBe('QUOTE_NOT_FOUND');
  });

  it('withdrawing by provider closes that provider\'s open quotes only', () => {
    const h = otcMarket();
    h.ok({ type: 'CreateAccount', accountId: 'dealer' });
    const a = issue(h, { provider: 'dealer:k1', counterpartyId: 'dealer' });
    const b = issue(h, { provider: 'dealer:k1', counterpartyId: 'dealer' });
    const c = issue(h);
    const r = h.run({ type: 'WithdrawQuote', provider: 'dealer:k1' });
    expect(eventsOf(r.events, 'QuoteClosed').map((e) => [e.quote.quoteId, e.quote.status])).toEqual([[a, 'withdrawn'], [b, 'withdrawn']]);
    expect(h.core.openQuotes().map((q) => q.quoteId)).toEqual([c]);
  });

  it('a withdrawal racing an accept: whichever is sequenced first wins, the other is refused', () => {
    const first = otcMarket();
    const id1 = issue(first);
    expect(first.run({ type: 'WithdrawQuote', quoteId: id1 }).ok).toBe(true);
    expect(((x) => (x.ok ? 'ok' : x.code))(accept(first, id1))).toBe('QUOTE_NOT_OPEN');

    const second = otcMarket();
    const id2 = issue(second);
    expect(accept(second, id2).ok).toBe(true);
    expect(((x) => (x.ok ? 'ok' : x.code))(second.run({ type: 'WithdrawQuote', quoteId: id2 }))).toBe('QUOTE_NOT_OPEN');
  });

  it('refuses malformed quotes with INVALID_QUOTE or the rule broken', () => {
    const h = otcMarket();
    const base: IssueQuote = {
      type: 'IssueQuote', accountId: 'alice', counterpartyId: 'desk', provider: 'pricer', symbol: 'BTC-USD', side: 'buy', askPrice: '101', quantity: '1', validUntil: h.ts + 10,
    };
    const code = (c: Partial<IssueQuote>): string => ((x) => (x.ok ? 'ok' : x.code))(h.run({ ...base, ...c } as Command));
    expect(code({ symbol: 'XYZ' })).toBe('UNKNOWN_SYMBOL');
    expect(code({ counterpartyId: 'alice' })).toBe('INVALID_QUOTE');
    expect(code({ counterpartyId: 'fees' })).toBe('UNKNOWN_ACCOUNT');
    expect(code({ askPrice: '101.001' })).toBe('PRICE_OFF_TICK');
    expect(code({ quantity: '0.00001' })).toBe('QUANTITY_OFF_LOT');
    expect(code({ side: 'two_way' })).toBe('INVALID_QUOTE');
    expect(code({ side: 'two_way', bidPrice: '102' })).toBe('INVALID_QUOTE');
    expect(code({ validUntil: h.ts - 1 })).toBe('INVALID_EXPIRY');
    expect(code({})).toBe('ok');
  });

  it('snapshot and restore keep quote state: replay after a restore gives byte-identical events', () => {
    const h = otcMarket();
    h.ok({ type: 'SetOtcFeeSchedule', accountId: 'alice', otcBps: 7 });
    const open = issue(h);
    const executed = issue(h);
    accept(h, executed, { clientOrderId: 'x' });
    const snap = JSON.parse(JSON.stringify(h.core.snapshot())) as CoreSnapshot;
    const restored = restoreCore(snap);
    expect(restored.quote('alice', open)).toEqual(h.core.quote('alice', open));
    expect(restored.quote('alice', executed)).toEqual(h.core.quote('alice', executed));
    expect(restored.account('alice')).toEqual(h.core.account('alice'));
    const tail: Command[] = [
      { type: 'AcceptQuote', accountId: 'alice', quoteId: open, side: 'sell' },
      { type: 'AcceptQuote', accountId: 'alice', quoteId: executed, side: 'buy' },
      { type: 'IssueQuote', accountId: 'bob', counterpartyId: 'desk', provider: 'pricer', symbol: 'BTC-USD', side: 'sell', bidPrice: '98', quantity: '1', validUntil: T0 + 1e9 },
    ];
    for (const command of tail) {
      h.ts += 1;
      expect(JSON.stringify(restored.apply({ ts: h.ts, command }))).toBe(JSON.stringify(h.run(command)));
    }
  });
});
