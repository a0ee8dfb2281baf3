/**
 * Property tests: long random command sequences over two instruments and four accounts, with
 * every invariant checked after every command against a model the test keeps on its own
 * (from deposits, fee schedules and the event stream), and snapshot/restore/replay checked for
 * byte-identical events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AmendOrder, BinaryCoreSnapshot, Command, CommandResult, CoreEvent, OrderView, StpMode, TimeInForce, TradingCore,
} from '../../server/src/core/api.js';
import { createCore, restoreCore } from '../../server/src/core/index.js';
import { ceilDivModel, decimal, units } from './decimal-model.js';

const T0 = 1_700_000_000_000;
// New accounts pay 7 bps as taker and earn a 2 bps rebate as maker, so rounding is exercised on every fill.
const DEFAULT_MAKER_BPS = -2;
const DEFAULT_TAKER_BPS = 7;
const ACCOUNTS = ['a0', 'a1', 'a2', 'a3'];
const DECIMALS: Record<string, number> = { BTC: 8, USD: 4, ETH: 6 };
interface Market { symbol: string; base: string; quote: string; center: number; tick: number; tickText: (k: number) => string; lot: (n: number) => string }
const MARKETS: Market[] = [
  // tick 0.5 (1 decimal) + lot 0.001 (3 decimals) = 4 = USD decimals
  { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', center: 200, tick: 0.5, tickText: (k) => (k / 2).toFixed(1), lot: (n) => (n / 1000).toFixed(3) },
  // tick 0.0001 + lot 0.01 = 6 <= BTC's 8
  { symbol: 'ETH-BTC', base: 'ETH', quote: 'BTC', center: 500, tick: 0.0001, tickText: (k) => (k / 10000).toFixed(4), lot: (n) => (n / 100).toFixed(2) },
];
const SETUP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 4 } },
  { type: 'AddAsset', spec: { asset: 'ETH', decimals: 6 } },
  {
    type: 'AddInstrument', spec: {
      symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.5', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '5',
      minNotional: '0.1', priceBandBps: 500, status: 'open',
    },
  },
  {
    type: 'AddInstrument', spec: {
      symbol: 'ETH-BTC', base: 'ETH', quote: 'BTC', tickSize: '0.0001', lotSize: '0.01', minQuantity: '0.01', maxQuantity: '50',
      minNotional: '0', priceBandBps: 0, status: 'open',
    },
  },
  ...ACCOUNTS.map((accountId): Command => ({ type: 'CreateAccount', accountId, maxOpenOrders: 12 })),
  ...ACCOUNTS.flatMap((accountId): Command[] => [
    { type: 'Deposit', accountId, asset: 'USD', amount: '5000' },
    { type: 'Deposit', accountId, asset: 'BTC', amount: '20' },
    { type: 'Deposit', accountId, asset: 'ETH', amount: '100' },
  ]),
  // A starting ladder on both sides of both books, one level per account.
  ...MARKETS.flatMap((m) => ACCOUNTS.flatMap((accountId, i): Command[] => [
    { type: 'PlaceOrder', accountId, symbol: m.symbol, side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: m.tickText(m.center - i - 1), quantity: m.lot(10 + i) },
    { type: 'PlaceOrder', accountId, symbol: m.symbol, side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: m.tickText(m.center + i + 1), quantity: m.lot(10 + i) },
  ])),
];

// ---- abstract commands (resolved against the live state when run) ----------------------------

type Abstract =
  | { k: 'place'; acct: number; mkt: number; side: 'buy' | 'sell'; market: boolean; byQuote: boolean; ticks: number; lots: number;
    tif: TimeInForce; postOnly: boolean; stp: StpMode | undefined; cid: number; dt: number }
  | { k: 'cancel'; acct: number; pick: number; byCid: boolean; dt: number }
  | { k: 'amend'; acct: number; pick: number; dTicks: number | null; lots: number | null; dt: number }
  | { k: 'cancelAll'; acct: number; mkt: number | null; dt: number }
  | { k: 'fees'; acct: number; maker: number; taker: number; dt: number }
  | { k: 'kill'; acct: number; active: boolean; dt: number }
  | { k: 'status'; mkt: number; status: 'open' | 'halted' | 'cancel_only' | 'post_only'; dt: number }
  | { k: 'cash'; acct: number; asset: string; deposit: boolean; amount: number; dt: number }
  | { k: 'expire'; dt: number };

const dt = fc.constantFrom(0, 0, 1000, 20_000);
const acct = fc.integer({ min: 0, max: 3 });
const abstractCommand: fc.Arbitrary<Abstract> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      k: fc.constant('place' as const), acct, mkt: fc.integer({ min: 0, max: 1 }), side: fc.constantFrom('buy' as const, 'sell' as const),
      market: fc.integer({ min: 0, max: 9 }).map((n) => n < 2), byQuote: fc.boolean(), ticks: fc.integer({ min: -6, max: 5 }),
      lots: fc.integer({ min: 1, max: 30 }), tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'GTC', 'GTC', 'IOC', 'FOK', 'GTD'),
      postOnly: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      stp: fc.constantFrom<StpMode | undefined>(undefined, 'cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'),
      cid: fc.integer({ min: 0, max: 9 }), dt,
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('cancel' as const), acct, pick: fc.nat(20), byCid: fc.boolean(), dt }) },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('amend' as const), acct, pick: fc.nat(20), dTicks: fc.option(fc.integer({ min: -4, max: 4 })),
      lots: fc.option(fc.integer({ min: 1, max: 30 })), dt,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancelAll' as const), acct, mkt: fc.option(fc.integer({ min: 0, max: 1 })), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fees' as const), acct, maker: fc.integer({ min: -4, max: 15 }), taker: fc.integer({ min: -2, max: 30 }), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('kill' as const), acct, active: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('status' as const), mkt: fc.integer({ min: 0, max: 1 }), status: fc.constantFrom('open' as const, 'open' as const, 'open' as const, 'open' as const, 'open' as const, 'open' as const, 'halted' as const, 'cancel_only' as const, 'post_only' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cash' as const), acct, asset: fc.constantFrom('USD', 'BTC', 'ETH'), deposit: fc.boolean(), amount: fc.integer({ min: 1, max: 3000 }), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const), dt }) },
);

// ---- the test's own model -------------------------------------------------------------------

interface Rates { maker: number; taker: number }

class Model {
  external = new Map<string, bigint>(); // deposits - withdrawals per asset
  rates = new Map<string, Rates>();
  numerator = new Map<string, bigint>(); // per order id: charged fee numerator
  priority = new Map<string, number>(); // per order id: seq at which it (re)entered its queue
  l2 = new Map<string, Map<string, string>>(); // symbol|side -> price -> quantity
  bookSeq = new Map<string, number>();
  seq = 0;
  lastPrice = new Map<string, string>();

  constructor() {
    for (const a of ACCOUNTS) this.rates.set(a, { maker: DEFAULT_MAKER_BPS, taker: DEFAULT_TAKER_BPS });
  }
}

function marketOf(symbol: string): Market {
  return MARKETS.find((m) => m.symbol === symbol)!;
}

function notional(m: Market, price: string, quantity: string): bigint {
  const q = DECIMALS[m.quote]!;
  const b = DECIMALS[m.base]!;
  return (units(price, q) * units(quantity, b)) / 10n ** BigInt(b);
}

function buyNeed(model: Model, o: OrderView): bigint {
  const m = marketOf(o.symbol);
  const r = model.rates.get(o.accountId)!;
  const b = BigInt(Math.max(r.maker, r.taker, 0));
  const n = notional(m, o.price!, o.remainingQuantity);
  const s = model.numerator.get(o.orderId) ?? 0n;
  return n + ceilDivModel(s + n * b, 10_000n) - ceilDivModel(s, 10_000n);
}

function allOpen(core: TradingCore): OrderView[] {
  return ACCOUNTS.flatMap((a) => core.openOrders(a));
}

/** Turns an abstract command into a concrete one against the current state. */
function resolve(core: TradingCore, a: Abstract, ts: number): Command {
  const account = ACCOUNTS[(a as { acct?: number }).acct ?? 0]!;
  switch (a.k) {
    case 'place': {
      const m = MARKETS[a.mkt]!;
      const ref = core.recentTrades(m.symbol, 1)[0]?.price;
      const centerTicks = ref === undefined ? m.center : Math.round(Number(ref) / m.tick);
      const cmd: Command = {
        type: 'PlaceOrder', accountId: account, symbol: m.symbol, side: a.side, orderType: a.market ? 'market' : 'limit',
        timeInForce: a.market ? (a.tif === 'FOK' ? 'FOK' : 'IOC') : a.tif, clientOrderId: a.cid < 5 ? undefined : `c${a.cid}`,
        postOnly: a.market ? undefined : a.postOnly, stp: a.stp,
      };
      // Mostly passive prices (buys below, sells above the reference); negative ticks cross.
      if (!a.market) cmd.price = m.tickText(Math.max(1, centerTicks + (a.side === 'buy' ? -a.ticks : a.ticks)));
      if (a.market && a.side === 'buy' && a.byQuote && cmd.timeInForce === 'IOC') {
        cmd.quoteQuantity = decimal(notional(m, m.tickText(centerTicks), m.lot(a.lots)), DECIMALS[m.quote]!);
      } else {
        cmd.quantity = m.lot(a.lots);
      }
      if (cmd.timeInForce === 'GTD') cmd.expireAt = ts + 1 + (a.lots % 3) * 15_000;
      return cmd;
    }
    case 'cancel':
    case 'amend': {
      // Mostly a live order (of any account); sometimes an id that is not live.
      const open = allOpen(core);
      const o = open.length === 0 || a.pick % 7 === 6 ? undefined : open[a.pick % open.length];
      const owner = o === undefined ? account : o.accountId;
      const ref = o === undefined ? { orderId: String(a.pick + 1) } : a.k === 'cancel' && a.byCid && o.clientOrderId !== undefined
        ? { clientOrderId: o.clientOrderId } : { orderId: o.orderId };
      if (a.k === 'cancel') return { type: 'CancelOrder', accountId: owner, ...ref };
      const cmd: AmendOrder = { type: 'AmendOrder', accountId: owner, ...ref };
      if (o !== undefined) {
        const m = marketOf(o.symbol);
        if (a.dTicks !== null) cmd.newPrice = m.tickText(Math.max(1, Math.round(Number(o.price) / m.tick) + a.dTicks));
        if (a.lots !== null) cmd.newQuantity = m.lot(a.lots);
      }
      return cmd;
    }
    case 'cancelAll': return { type: 'CancelAll', accountId: account, symbol: a.mkt === null ? undefined : MARKETS[a.mkt]!.symbol };
    case 'fees': return { type: 'SetFeeSchedule', accountId: account, makerBps: a.maker, takerBps: a.taker };
    case 'kill': return { type: 'SetKillSwitch', accountId: account, active: a.active };
    case 'status': return { type: 'SetInstrumentStatus', symbol: MARKETS[a.mkt]!.symbol, status: a.status };
    case 'cash': {
      const amount = (a.amount / 100).toFixed(2);
      return { type: a.deposit ? 'Deposit' : 'Withdraw', accountId: account, asset: a.asset, amount };
    }
    case 'expire': return { type: 'ExpireOrders' };
  }
}

// ---- invariant checks -----------------------------------------------------------------------

function checkSequencing(model: Model, r: CommandResult): void {
  for (const e of r.events) {
    expect(e.seq).toBe(model.seq + 1);
    model.seq = e.seq;
    if (e.type === 'BookLevelChanged') {
      const prev = model.bookSeq.get(e.symbol) ?? 0;
      expect(e.bookSeq).toBe(prev + 1);
      model.bookSeq.set(e.symbol, e.bookSeq);
      const key = `${e.symbol}|${e.side}`;
      const side = model.l2.get(key) ?? new Map<string, string>();
      if (e.quantity === '0') side.delete(e.price);
      else side.set(e.price, e.quantity);
      model.l2.set(key, side);
    }
  }
}

function checkBooks(model: Model, core: TradingCore): void {
  for (const m of MARKETS) {
    const book = core.book(m.symbol);
    if (book === undefined) continue; // not added yet (setup)
    const bids = new Map(book.bids.map((l) => [l.price, l.quantity]));
    const asks = new Map(book.asks.map((l) => [l.price, l.quantity]));
    expect(bids).toEqual(model.l2.get(`${m.symbol}|buy`) ?? new Map());
    expect(asks).toEqual(model.l2.get(`${m.symbol}|sell`) ?? new Map());
    const bestBid = book.bids[0];
    const bestAsk = book.asks[0];
    if (bestBid !== undefined && bestAsk !== undefined) expect(Number(bestBid.price)).toBeLessThan(Number(bestAsk.price));
    for (let i = 1; i < book.bids.length; i++) expect(Number(book.bids[i]!.price)).toBeLessThan(Number(book.bids[i - 1]!.price));
    for (let i = 1; i < book.asks.length; i++) expect(Number(book.asks[i]!.price)).toBeGreaterThan(Number(book.asks[i - 1]!.price));
  }
}

function checkLedger(model: Model, core: TradingCore): void {
  const totals = new Map<string, bigint>();
  const holds = new Map<string, bigint>(); // account|asset
  for (const a of [...ACCOUNTS, 'fees']) {
    for (const b of core.balances(a) ?? []) {
      const d = DECIMALS[b.asset]!;
      const total = units(b.total, d);
      const hold = units(b.hold, d);
      expect(units(b.available, d)).toBe(total - hold);
      expect(total - hold).toBeGreaterThanOrEqual(0n);
      expect(hold).toBeGreaterThanOrEqual(0n);
      totals.set(b.asset, (totals.get(b.asset) ?? 0n) + total);
      holds.set(`${a}|${b.asset}`, hold);
    }
  }
  for (const asset of Object.keys(DECIMALS)) expect(totals.get(asset) ?? 0n).toBe(model.external.get(asset) ?? 0n);
  // Holds are exactly what open orders need.
  const need = new Map<string, bigint>();
  for (const o of allOpen(core)) {
    const m = marketOf(o.symbol);
    expect(units(o.filledQuantity, DECIMALS[m.base]!) + units(o.remainingQuantity, DECIMALS[m.base]!)).toBe(units(o.quantity!, DECIMALS[m.base]!));
    const key = o.side === 'buy' ? `${o.accountId}|${m.quote}` : `${o.accountId}|${m.base}`;
    const n = o.side === 'buy' ? buyNeed(model, o) : units(o.remainingQuantity, DECIMALS[m.base]!);
    need.set(key, (need.get(key) ?? 0n) + n);
  }
  for (const [key, hold] of holds) expect([key, hold]).toEqual([key, need.get(key) ?? 0n]);
  const fees = core.balances('fees')!;
  for (const b of fees) expect(units(b.total, DECIMALS[b.asset]!)).toBeGreaterThanOrEqual(0n);
}

/** Fills: maker price, taker limit, fees by the documented rule, and price-time priority. */
function checkFills(model: Model, before: OrderView[], r: CommandResult): void {
  const fills = r.events.filter((e): e is Extract<CoreEvent, { type: 'OrderFilled' }> => e.type === 'OrderFilled');
  if (fills.length === 0) return;
  const takerFill = fills.find((f) => f.liquidity === 'taker')!;
  const taker = takerFill.order;
  const canceled = new Set(r.events.filter((e) => e.type === 'OrderCanceled').map((e) => (e as { order: OrderView }).order.orderId));
  const m = marketOf(taker.symbol);
  const betterFirst = (a: OrderView, b: OrderView): number => {
    const d = Number(a.price) - Number(b.price);
    return (a.side === 'buy' ? -d : d) || model.priority.get(a.orderId)! - model.priority.get(b.orderId)!;
  };
  const queue = before
    .filter((o) => o.symbol === taker.symbol && o.side !== taker.side && o.accountId !== taker.accountId && !canceled.has(o.orderId))
    .sort(betterFirst)
    .map((o) => o.orderId);
  const makers: string[] = [];
  const lastMakerFill = new Map<string, OrderView>();
  for (const f of fills) {
    if (f.liquidity === 'maker') {
      if (makers[makers.length - 1] !== f.order.orderId) makers.push(f.order.orderId);
      lastMakerFill.set(f.order.orderId, f.order);
      expect(f.price).toBe(f.order.price); // trades at the maker's price
      expect(f.order.accountId).not.toBe(taker.accountId); // STP: never a self-trade
    } else {
      expect(f.order.orderId).toBe(taker.orderId); // one taker per command
      if (taker.orderType === 'limit') {
        if (taker.side === 'buy') expect(Number(f.price)).toBeLessThanOrEqual(Number(f.order.price));
        else expect(Number(f.price)).toBeGreaterThanOrEqual(Number(f.order.price));
      }
    }
    // Fee rule, recomputed from the model's rates and running numerator.
    const rates = model.rates.get(f.order.accountId)!;
    const bps = BigInt(f.liquidity === 'maker' ? rates.maker : rates.taker);
    const n = notional(m, f.price, f.quantity);
    const s = model.numerator.get(f.order.orderId) ?? 0n;
    // Charged: ceil of the running total; rebate: floor per fill.
    const expected = bps > 0n ? ceilDivModel(s + n * bps, 10_000n) - ceilDivModel(s, 10_000n) : -((n * -bps) / 10_000n);
    expect(units(f.fee, DECIMALS[m.quote]!)).toBe(expected);
    if (bps > 0n) model.numerator.set(f.order.orderId, s + n * bps);
  }
  expect(queue.slice(0, makers.length)).toEqual(makers);
  for (const id of makers.slice(0, -1)) expect(lastMakerFill.get(id)!.status).toBe('filled');
}

function trackPriority(model: Model, r: CommandResult): void {
  for (const e of r.events) {
    if (e.type === 'OrderAccepted') model.priority.set(e.order.orderId, e.seq);
    if (e.type === 'OrderAmended' && !e.priorityKept) model.priority.set(e.order.orderId, e.seq);
  }
}

function trackCommand(model: Model, c: Command, r: CommandResult): void {
  if (!r.ok) return;
  if (c.type === 'Deposit' || c.type === 'Withdraw') {
    const v = units(c.amount, DECIMALS[c.asset]!);
    model.external.set(c.asset, (model.external.get(c.asset) ?? 0n) + (c.type === 'Deposit' ? v : -v));
  }
  if (c.type === 'SetFeeSchedule') model.rates.set(c.accountId, { maker: c.makerBps, taker: c.takerBps });
}

function step(model: Model, core: TradingCore, c: Command, ts: number): CommandResult {
  const before = allOpen(core);
  const r = core.apply({ ts, command: c });
  checkSequencing(model, r);
  expect(core.seq).toBe(model.seq);
  trackCommand(model, c, r);
  trackPriority(model, r);
  checkFills(model, before, r);
  checkBooks(model, core);
  checkLedger(model, core);
  // A rejected command carries exactly one rejection event and nothing else.
  if (!r.ok) {
    expect(r.events).toHaveLength(1);
    expect(['OrderRejected', 'CommandRejected']).toContain(r.events[0]!.type);
  }
  return r;
}

function fullState(core: TradingCore): unknown {
  return {
    seq: core.seq,
    books: MARKETS.map((m) => core.book(m.symbol)),
    accounts: [...ACCOUNTS, 'fees'].map((a) => [core.account(a), core.balances(a), core.positions(a), core.openOrders(a)]),
    trades: MARKETS.map((m) => core.recentTrades(m.symbol, 50)),
    tickers: MARKETS.map((m) => core.ticker(m.symbol, T0 + 10_000_000)),
    candles: MARKETS.map((m) => core.candles(m.symbol, '1m', 0, T0 + 10_000_000)),
  };
}

describe('trading core invariants over random command sequences', () => {
  it('holds conservation, exact holds, uncrossed books, price-time priority and exact replay (from JSON and binary snapshots) after every command', () => {
    fc.assert(
      fc.property(fc.array(abstractCommand, { minLength: 40, maxLength: 160 }), fc.nat(), (script, cutSeed) => {
        const core = createCore({ feeAccountId: 'fees', defaultMakerBps: DEFAULT_MAKER_BPS, defaultTakerBps: DEFAULT_TAKER_BPS });
        const model = new Model();
        let ts = T0;
        for (const c of SETUP) step(model, core, c, ts);
        const cut = cutSeed % (script.length + 1);
        let snapshot: unknown;
        let binary: BinaryCoreSnapshot | undefined;
        const tail: { ts: number; command: Command; result: string }[] = [];
        for (let i = 0; i < script.length; i++) {
          if (i === cut) {
            snapshot = JSON.parse(JSON.stringify(core.snapshot()));
            binary = core.snapshotBinary!();
          }
          const a = script[i]!;
          ts += a.dt;
          const command = resolve(core, a, ts);
          const r = step(model, core, command, ts);
          if (i >= cut) tail.push({ ts, command, result: JSON.stringify(r) });
        }
        if (snapshot === undefined) snapshot = JSON.parse(JSON.stringify(core.snapshot()));
        binary ??= core.snapshotBinary!();
        const restored = restoreCore(snapshot as never);
        // The binary form restores to the same state: same JSON snapshot, same events from there on.
        const fromBinary = restoreCore(binary);
        expect(fromBinary.snapshot()).toEqual(restored.snapshot());
        for (const t of tail) {
          expect(JSON.stringify(restored.apply({ ts: t.ts, command: t.command }))).toBe(t.result);
          expect(JSON.stringify(fromBinary.apply({ ts: t.ts, command: t.command }))).toBe(t.result);
        }
        expect(fullState(restored)).toEqual(fullState(core));
        expect(fullState(fromBinary)).toEqual(fullState(core));
      }),
      { numRuns: 80 },
    );
  }, 300_000); // CPU-bound: generous, so that a machine with every core busy still finishes it
});
