/**
 * Property tests of stop and stop-limit orders over random streams (stops on both sides and of
 * both kinds, limit and market orders that move the price, amends of stop prices, cancels,
 * expiry): after every command, every asset is conserved and no balance or hold goes negative;
 * a stop triggers at most once and only after a trade of the command has reached its stop price; no untriggered stop
 * is left that the last price has reached; an untriggered order is never in the book; and a
 * core restored from a JSON or a binary snapshot taken anywhere replays the rest identically.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, CoreEvent, OrderView, TradingCore } from '../../server/src/core/api.js';
import { createCore, restoreCore } from '../../server/src/core/index.js';
import { units } from './decimal-model.js';

const T0 = 1_700_000_000_000;
const ACCOUNTS = ['s0', 's1', 's2'];
const DEPOSITS: Record<string, string> = { USD: '2000000', BTC: '500' };
const SETUP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
  {
    type: 'AddInstrument', spec: {
      symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '1', lotSize: '0.01', minQuantity: '0.01', maxQuantity: '100',
      minNotional: '0', priceBandBps: 1500, status: 'open',
    },
  },
  ...ACCOUNTS.flatMap((accountId): Command[] => [
    { type: 'CreateAccount', accountId, maxOpenOrders: 40 },
    { type: 'SetFeeSchedule', accountId, makerBps: 2, takerBps: 6 },
    ...Object.entries(DEPOSITS).map(([asset, amount]): Command => ({ type: 'Deposit', accountId, asset, amount })),
  ]),
];

type Step =
  | { k: 'limit'; acct: number; buy: boolean; off: number; lots: number; ioc: boolean; dt: number }
  | { k: 'market'; acct: number; buy: boolean; lots: number; dt: number }
  | { k: 'stop'; acct: number; buy: boolean; limit: boolean; away: number; lim: number; lots: number; byQuote: boolean; gtd: boolean; dt: number }
  | { k: 'amendStop'; acct: number; pick: number; away: number; dt: number }
  | { k: 'cancel'; acct: number; pick: number; dt: number }
  | { k: 'expire'; dt: number };

const dt = fc.constantFrom(0, 0, 500, 5_000);
const acct = fc.integer({ min: 0, max: ACCOUNTS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('limit' as const), acct, buy: fc.boolean(), off: fc.integer({ min: -4, max: 6 }), lots: fc.integer({ min: 1, max: 40 }), ioc: fc.boolean(), dt }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('market' as const), acct, buy: fc.boolean(), lots: fc.integer({ min: 1, max: 60 }), dt }) },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('stop' as const), acct, buy: fc.boolean(), limit: fc.boolean(), away: fc.integer({ min: 1, max: 5 }), lim: fc.integer({ min: -1, max: 3 }),
      lots: fc.integer({ min: 1, max: 40 }), byQuote: fc.boolean(), gtd: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), dt,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('amendStop' as const), acct, pick: fc.nat(30), away: fc.integer({ min: 1, max: 5 }), dt }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), acct, pick: fc.nat(30), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const), dt }) },
);

const lastPrice = (core: TradingCore): number => Number(core.recentTrades('BTC-USD', 1)[0]?.price ?? '1000');
const lots = (n: number): string => (n / 100).toFixed(2);
const untriggered = (core: TradingCore, account?: string): OrderView[] =>
  (account === undefined ? ACCOUNTS : [account]).flatMap((a) => core.openOrders(a)).filter((o) => o.triggerState === 'untriggered');

function concrete(core: TradingCore, s: Step, ts: number): Command {
  const accountId = s.k === 'expire' ? '' : ACCOUNTS[s.acct]!;
  const last = lastPrice(core);
  const side = 'buy' in s && s.buy ? 'buy' as const : 'sell' as const;
  const base = { type: 'PlaceOrder' as const, accountId, symbol: 'BTC-USD', side };
  switch (s.k) {
    case 'limit': {
      const price = String(Math.max(1, side === 'buy' ? last - s.off : last + s.off));
      return { ...base, orderType: 'limit', timeInForce: s.ioc ? 'IOC' : 'GTC', price, quantity: lots(s.lots) };
    }
    case 'market': return { ...base, orderType: 'market', timeInForce: 'IOC', quantity: lots(s.lots) };
    case 'stop': {
      const stop = side === 'buy' ? last + s.away : Math.max(1, last - s.away);
      const c: Command = { ...base, orderType: s.limit ? 'stop_limit' : 'stop', timeInForce: s.gtd ? 'GTD' : 'GTC', stopPrice: String(stop) };
      if (s.gtd) c.expireAt = ts + 3_000;
      if (s.limit) c.price = String(Math.max(1, side === 'buy' ? stop + s.lim : stop - s.lim));
      if (!s.limit && side === 'buy' && s.byQuote) c.quoteQuantity = String(s.lots * 10);
      else c.quantity = lots(s.lots);
      return c;
    }
    case 'amendStop': {
      const mine = untriggered(core, accountId);
      const o = mine[s.pick % Math.max(1, mine.length)];
      if (o === undefined) return { type: 'CancelOrder', accountId, orderId: '999999' };
      return { type: 'AmendOrder', accountId, orderId: o.orderId, newStopPrice: String(o.side === 'buy' ? last + s.away : Math.max(1, last - s.away)) };
    }
    case 'cancel': {
      const mine = core.openOrders(accountId);
      const o = mine[s.pick % Math.max(1, mine.length)];
      return { type: 'CancelOrder', accountId, orderId: o?.orderId ?? '999999' };
    }
    case 'expire': return { type: 'ExpireOrders' };
  }
}

interface Seen { triggered: number; commandsWithTriggers: number }

function checkAfter(core: TradingCore, events: readonly CoreEvent[], triggeredOnce: Set<string>, ts: number, seen: Seen): void {
  // Conservation: the accounts and the fee account hold exactly what was deposited.
  for (const asset of Object.keys(DEPOSITS)) {
    const d = asset === 'USD' ? 6 : 8;
    let total = 0n;
    for (const a of [...ACCOUNTS, 'fees']) {
      const b = core.balances(a)?.find((x) => x.asset === asset);
      if (b === undefined) continue;
      expect(units(b.hold, d)).toBeGreaterThanOrEqual(0n);
      expect(units(b.available, d)).toBeGreaterThanOrEqual(0n);
      total += units(b.total, d);
    }
    expect(total, asset).toBe(units(DEPOSITS[asset]!, d) * BigInt(ACCOUNTS.length));
  }
  // Each stop triggers at most once, and only once a trade of the command has reached it (stops
  // reached together enter one at a time, so the price may have moved on when one enters).
  let high: number | undefined;
  let low: number | undefined;
  let any = false;
  for (const e of events) {
    if (e.type === 'TradePrinted') {
      const p = Number(e.price);
      high = high === undefined || p > high ? p : high;
      low = low === undefined || p < low ? p : low;
    }
    if (e.type !== 'OrderTriggered') continue;
    any = true;
    seen.triggered++;
    expect(triggeredOnce.has(e.order.orderId), `order ${e.order.orderId} triggered twice`).toBe(false);
    triggeredOnce.add(e.order.orderId);
    expect(high, 'a trigger follows a trade').toBeDefined();
    const stop = Number(e.order.stopPrice);
    if (e.order.side === 'buy') expect(high!).toBeGreaterThanOrEqual(stop);
    else expect(low!).toBeLessThanOrEqual(stop);
  }
  if (any) seen.commandsWithTriggers++;
  // No untriggered stop is left that the last price has reached (unless it is past its expiry).
  const price = core.recentTrades('BTC-USD', 1)[0]?.price;
  // The snapshot lists every book level's order ids.
  const book = (core.snapshot().state as { instruments: { bids: [string, number[]][]; asks: [string, number[]][] }[] }).instruments[0]!;
  const inBook = new Set([...book.bids, ...book.asks].flatMap(([, ids]) => ids.map(String)));
  for (const o of untriggered(core)) {
    expect(inBook.has(o.orderId), `untriggered ${o.orderId} in the book`).toBe(false);
    expect(triggeredOnce.has(o.orderId)).toBe(false);
    if (price === undefined || (o.expireAt !== undefined && o.expireAt <= ts)) continue;
    if (o.side === 'buy') expect(Number(o.stopPrice)).toBeGreaterThan(Number(price));
    else expect(Number(o.stopPrice)).toBeLessThan(Number(price));
  }
}

describe('stop orders over random streams', () => {
  const seen: Seen = { triggered: 0, commandsWithTriggers: 0 };
  it('conserve every asset, trigger each stop at most once and only when reached, never rest untriggered, and replay identically after a restore', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 30, maxLength: 120 }), fc.nat(), (script, cutSeed) => {
      const core = createCore({ feeAccountId: 'fees' });
      let ts = T0;
      for (const c of SETUP) expect(core.apply({ ts, command: c }).ok).toBe(true);
      // A first trade at 1000, so stops have a last price to wait on.
      core.apply({ ts, command: { type: 'PlaceOrder', accountId: 's0', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '1000', quantity: '1' } });
      core.apply({ ts, command: { type: 'PlaceOrder', accountId: 's1', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '1000', quantity: '1' } });
      const triggeredOnce = new Set<string>();
      const cut = cutSeed % (script.length + 1);
      let json: unknown;
      let binary: ReturnType<NonNullable<TradingCore['snapshotBinary']>> | undefined;
      const tail: { ts: number; command: Command; result: string }[] = [];
      for (const [i, s] of script.entries()) {
        if (i === cut) {
          json = JSON.parse(JSON.stringify(core.snapshot()));
          binary = core.snapshotBinary!();
        }
        ts += s.dt;
        const command = concrete(core, s, ts);
        const r = core.apply({ ts, command });
        checkAfter(core, r.events, triggeredOnce, ts, seen);
        if (i >= cut) tail.push({ ts, command, result: JSON.stringify(r) });
      }
      if (json === undefined) return;
      for (const restored of [restoreCore(json as never), restoreCore(binary!)]) {
        for (const t of tail) expect(JSON.stringify(restored.apply({ ts: t.ts, command: t.command }))).toBe(t.result);
        expect(restored.snapshot()).toEqual(core.snapshot());
      }
    }), { numRuns: 60 });
    // The streams did reach what the properties are about.
    expect(seen.triggered).toBeGreaterThan(100);
    expect(seen.commandsWithTriggers).toBeGreaterThan(30);
  });
});
