/**
 * Differential test: the trading core against the naive reference model (matching-model.ts,
 * written from docs/trading-rules.md), driven by the same long random command streams. After
 * every command both must agree on the outcome (accepted, or the reject code), the fills
 * (order, price, quantity, liquidity, fee), every balance's total and hold (the fee account
 * included), the open orders with their remaining quantity (and stop price and trigger state),
 * each side's queue in priority order, and which stops the command triggered, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, CoreEvent, PlaceOrder, TradingCore } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { ceilDivModel, decimal, units } from '../core/decimal-model.js';
import { BASE_UNIT, FEE_ACCOUNT, MatchingModel, type Fill, type ModelCommand, type Side, type Status, type Stp, type Tif } from './matching-model.js';

const HALF = 500_000n; // 0.5 USD

const T0 = 1_700_000_000_000;
const ACCOUNTS = ['a', 'b', 'c', 'd'];
const LOT = 10_000n; // 0.0001 BTC
const MID = 30_000_000_000n; // 30000 USD

type Intent =
  | { k: 'place'; acct: number; side: Side; kind: 'limit' | 'market' | 'quote'; tif: Tif; half: number; lots: number; postOnly: boolean; stp: Stp | undefined; cid: number; ttl: number; dt: number }
  | { k: 'stop'; acct: number; side: Side; limit: boolean; tif: Tif; stopHalf: number; limitHalf: number; lots: number; byQuote: boolean; noStop: boolean; stp: Stp | undefined; cid: number; ttl: number; dt: number }
  | { k: 'amend'; acct: number; pick: number; byCid: boolean; dHalf: number | null; lots: number | null; cid: number | null; dStop: number | null; dt: number }
  | { k: 'cancel'; acct: number; pick: number; byCid: boolean; dt: number }
  | { k: 'cancelAll'; acct: number; dt: number }
  | { k: 'expire'; dt: number }
  | { k: 'cash'; acct: number; deposit: boolean; usd: boolean; amount: number; dt: number }
  | { k: 'kill'; acct: number; active: boolean; dt: number }
  | { k: 'status'; status: Status; dt: number };

const dt = fc.constantFrom(0, 0, 0, 200, 1_000, 5_000);
const acct = fc.integer({ min: 0, max: ACCOUNTS.length - 1 });
const intent: fc.Arbitrary<Intent> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('place' as const), acct, side: fc.constantFrom<Side>('buy', 'sell'),
      kind: fc.constantFrom('limit' as const, 'limit' as const, 'limit' as const, 'limit' as const, 'market' as const, 'quote' as const),
      tif: fc.constantFrom<Tif>('GTC', 'GTC', 'GTC', 'IOC', 'FOK', 'GTD', 'GTD'), half: fc.integer({ min: -8, max: 8 }),
      lots: fc.integer({ min: 1, max: 12 }), postOnly: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
      stp: fc.constantFrom<Stp | undefined>(undefined, 'cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'),
      cid: fc.integer({ min: -3, max: 4 }), ttl: fc.constantFrom(100, 1_000, 3_000, 10_000), dt,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('stop' as const), acct, side: fc.constantFrom<Side>('buy', 'sell'), limit: fc.boolean(),
      tif: fc.constantFrom<Tif>('GTC', 'GTC', 'GTC', 'GTC', 'GTD', 'GTD', 'IOC', 'FOK'),
      // Half-dollar steps from the last price, toward the waiting side (0 and -1: the wrong side).
      stopHalf: fc.integer({ min: -1, max: 4 }), limitHalf: fc.integer({ min: -2, max: 4 }), lots: fc.integer({ min: 1, max: 12 }),
      byQuote: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0), noStop: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
      stp: fc.constantFrom<Stp | undefined>(undefined, 'cancel_newest', 'cancel_oldest', 'cancel_both', 'decrement_and_cancel'),
      cid: fc.integer({ min: -3, max: 4 }), ttl: fc.constantFrom(100, 1_000, 3_000, 10_000), dt,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('amend' as const), acct, pick: fc.nat(10), byCid: fc.boolean(), dHalf: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 3 }),
      lots: fc.option(fc.integer({ min: 1, max: 14 }), { freq: 2 }), cid: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
      dStop: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 2 }), dt,
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('cancel' as const), acct, pick: fc.nat(10), byCid: fc.boolean(), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancelAll' as const), acct, dt }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('expire' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('kill' as const), acct, active: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), dt }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('status' as const), status: fc.constantFrom<Status>('open', 'open', 'open', 'open', 'open', 'open', 'open', 'halted', 'cancel_only', 'post_only'), dt }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cash' as const), acct, deposit: fc.boolean(), usd: fc.boolean(), amount: fc.integer({ min: 1, max: 400 }), dt }) },
);

/** Fee schedules that keep the fee account solvent: rebates never above the lowest taker rate. */
const fees = fc.array(fc.record({ maker: fc.integer({ min: -2, max: 6 }), taker: fc.integer({ min: 2, max: 12 }) }), { minLength: ACCOUNTS.length, maxLength: ACCOUNTS.length });

/** The concrete command for an intent, picking orders among the model's live ones. */
function concretise(model: MatchingModel, i: Intent, ts: number): ModelCommand {
  const account = i.k === 'expire' || i.k === 'status' ? '' : ACCOUNTS[i.acct]!;
  /** One of the account's live orders (pick 10: none, to reach ORDER_NOT_FOUND). */
  const pickLive = (pick: number) => {
    const live = model.live.filter((o) => o.account === account).sort((x, y) => x.id - y.id);
    return pick === 10 || live.length === 0 ? undefined : live[pick % live.length];
  };
  switch (i.k) {
    case 'place': {
      const c: ModelCommand = { type: 'Place', account, side: i.side, market: i.kind !== 'limit', tif: i.tif, postOnly: i.postOnly };
      if (i.kind === 'limit') c.price = MID + BigInt(i.half) * 500_000n;
      if (i.kind === 'quote' && i.side === 'buy') c.quoteQuantity = BigInt(i.lots) * 3_000_000n + 1_234n;
      else c.quantity = BigInt(i.lots) * LOT;
      if (i.stp !== undefined) c.stp = i.stp;
      if (i.cid >= 0) c.clientOrderId = `c${i.cid}`;
      if (i.tif === 'GTD') c.expireAt = ts + i.ttl;
      return c;
    }
    case 'stop': {
      const buy = i.side === 'buy';
      const from = model.lastPrice ?? MID;
      const stopPrice = buy ? from + BigInt(i.stopHalf) * HALF : from - BigInt(i.stopHalf) * HALF;
      const c: ModelCommand = { type: 'Place', account, side: i.side, market: !i.limit, stop: i.limit ? 'stop_limit' : 'stop', tif: i.tif, postOnly: false };
      if (!i.noStop) c.stopPrice = stopPrice;
      if (i.limit) c.price = buy ? stopPrice + BigInt(i.limitHalf) * HALF : stopPrice - BigInt(i.limitHalf) * HALF;
      if (!i.limit && buy && i.byQuote) c.quoteQuantity = BigInt(i.lots) * 3_000_000n + 1_234n;
      else c.quantity = BigInt(i.lots) * LOT;
      if (i.stp !== undefined) c.stp = i.stp;
      if (i.cid >= 0) c.clientOrderId = `c${i.cid}`;
      if (i.tif === 'GTD') c.expireAt = ts + i.ttl;
      return c;
    }
    case 'amend': {
      const o = pickLive(i.pick);
      const ref = o === undefined ? { orderId: 999_999 } : i.byCid && o.clientOrderId !== undefined ? { clientOrderId: o.clientOrderId } : { orderId: o.id };
      return {
        type: 'Amend', account, ...ref,
        ...(i.dHalf !== null && o?.limit != null && { newPrice: o.limit + BigInt(i.dHalf) * 500_000n }),
        ...(i.lots !== null && { newQuantity: BigInt(i.lots) * LOT }),
        ...(i.cid !== null && { newClientOrderId: `c${i.cid}` }),
        ...(i.dStop !== null && o?.stopPrice != null && { newStopPrice: o.stopPrice + BigInt(i.dStop) * HALF }),
      };
    }
    case 'cancel': {
      const o = pickLive(i.pick);
      if (o === undefined) return { type: 'Cancel', account, orderId: 999_999 };
      return i.byCid && o.clientOrderId !== undefined ? { type: 'Cancel', account, clientOrderId: o.clientOrderId } : { type: 'Cancel', account, orderId: o.id };
    }
    case 'cancelAll': return { type: 'CancelAll', account };
    case 'expire': return { type: 'Expire' };
    case 'kill': return { type: 'Kill', account, active: i.active };
    case 'status': return { type: 'Status', status: i.status };
    case 'cash': {
      const asset = i.usd ? 'USD' as const : 'BTC' as const;
      const amount = i.usd ? BigInt(i.amount) * 1_000_000n : BigInt(i.amount) * 10_000n;
      return { type: i.deposit ? 'Deposit' : 'Withdraw', account, asset, amount };
    }
  }
}

const usd = (v: bigint) => decimal(v, 6);
const btc = (v: bigint) => decimal(v, 8);

function coreCommand(c: ModelCommand): Command {
  switch (c.type) {
    case 'Place': {
      const p: PlaceOrder = {
        type: 'PlaceOrder', accountId: c.account, symbol: 'BTC-USD', side: c.side, orderType: c.stop ?? (c.market ? 'market' : 'limit'), timeInForce: c.tif,
        postOnly: c.postOnly,
      };
      if (c.price !== undefined) p.price = usd(c.price);
      if (c.stopPrice !== undefined) p.stopPrice = usd(c.stopPrice);
      if (c.quantity !== undefined) p.quantity = btc(c.quantity);
      if (c.quoteQuantity !== undefined) p.quoteQuantity = usd(c.quoteQuantity);
      if (c.stp !== undefined) p.stp = c.stp;
      if (c.clientOrderId !== undefined) p.clientOrderId = c.clientOrderId;
      if (c.expireAt !== undefined) p.expireAt = c.expireAt;
      return p;
    }
    case 'Amend': {
      const ref = c.orderId !== undefined ? { orderId: String(c.orderId) } : { clientOrderId: c.clientOrderId! };
      return {
        type: 'AmendOrder', accountId: c.account, ...ref,
        ...(c.newPrice !== undefined && { newPrice: usd(c.newPrice) }),
        ...(c.newQuantity !== undefined && { newQuantity: btc(c.newQuantity) }),
        ...(c.newClientOrderId !== undefined && { newClientOrderId: c.newClientOrderId }),
        ...(c.newStopPrice !== undefined && { newStopPrice: usd(c.newStopPrice) }),
      };
    }
    case 'Cancel': return c.orderId !== undefined
      ? { type: 'CancelOrder', accountId: c.account, orderId: String(c.orderId) }
      : { type: 'CancelOrder', accountId: c.account, clientOrderId: c.clientOrderId! };
    case 'CancelAll': return { type: 'CancelAll', accountId: c.account };
    case 'Expire': return { type: 'ExpireOrders' };
    case 'Kill': return { type: 'SetKillSwitch', accountId: c.account, active: c.active };
    case 'Status': return { type: 'SetInstrumentStatus', symbol: 'BTC-USD', status: c.status };
    case 'Deposit': return { type: 'Deposit', accountId: c.account, asset: c.asset, amount: c.asset === 'USD' ? usd(c.amount) : btc(c.amount) };
    case 'Withdraw': return { type: 'Withdraw', accountId: c.account, asset: c.asset, amount: c.asset === 'USD' ? usd(c.amount) : btc(c.amount) };
  }
}

function coreFills(events: readonly CoreEvent[]): Fill[] {
  const out: Fill[] = [];
  for (const e of events) {
    if (e.type !== 'OrderFilled') continue;
    out.push({ orderId: Number(e.order.orderId), price: units(e.price, 6), quantity: units(e.quantity, 8), liquidity: e.liquidity as Fill['liquidity'], fee: units(e.fee, 6) });
  }
  return out;
}

function coreState(core: TradingCore) {
  const balances: Record<string, string[]> = {};
  for (const a of [...ACCOUNTS, FEE_ACCOUNT]) {
    const list = core.balances(a) ?? [];
    balances[a] = ['BTC', 'USD'].map((asset) => {
      const b = list.find((x) => x.asset === asset);
      return `${asset} ${b?.total ?? '0'} / ${b?.hold ?? '0'}`;
    });
  }
  const open: Record<string, string[]> = {};
  for (const a of ACCOUNTS) open[a] = core.openOrders(a).map((o) => `${o.orderId} ${o.side} ${o.price} ${o.remainingQuantity} stop ${o.stopPrice} ${o.triggerState}`);
  // The queue order of each side: the snapshot lists every level's order ids front to back.
  const inst = (core.snapshot().state as { instruments: { bids: [string, number[]][]; asks: [string, number[]][] }[] }).instruments[0]!;
  const queue = { buy: inst.bids.flatMap(([, ids]) => ids), sell: inst.asks.flatMap(([, ids]) => ids) };
  return { balances, open, queue };
}

function modelState(model: MatchingModel) {
  const balances: Record<string, string[]> = {};
  for (const a of [...ACCOUNTS, FEE_ACCOUNT]) {
    const bs = model.accounts.get(a)!.balances;
    balances[a] = [`BTC ${btc(bs.BTC.total)} / ${btc(bs.BTC.hold)}`, `USD ${usd(bs.USD.total)} / ${usd(bs.USD.hold)}`];
  }
  const open: Record<string, string[]> = {};
  for (const a of ACCOUNTS) {
    open[a] = model.live.filter((o) => o.account === a).sort((x, y) => x.id - y.id).map((o) => {
      const stop = o.stop === undefined ? 'undefined undefined' : `${usd(o.stopPrice!)} ${o.waiting ? 'untriggered' : 'triggered'}`;
      return `${o.id} ${o.side} ${o.limit === null ? undefined : usd(o.limit)} ${btc(o.remaining)} stop ${stop}`;
    });
  }
  const queue = { buy: model.queue('buy').map((o) => o.id), sell: model.queue('sell').map((o) => o.id) };
  return { balances, open, queue };
}

/** What the streams exercised, over all runs: the test is only as good as what it reached. */
const seen = { fills: 0, triggered: 0, cascades: 0, codes: new Set<string>(), reasons: new Set<string>() };

function run(schedules: { maker: number; taker: number }[], intents: Intent[]): void {
  // New accounts' default taker rate counts as the lowest taker rate too (a rebate must stay below it).
  const core = createCore({ defaultTakerBps: 2 });
  const model = new MatchingModel({ minNotional: 5_000_000n, minQuantity: LOT, maxQuantity: 1_000n * BASE_UNIT, tick: 10_000n, lot: LOT });
  let ts = T0;
  const setup: Command[] = [
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    {
      type: 'AddInstrument', spec: {
        symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000',
        minNotional: '5', priceBandBps: 0, status: 'open',
      },
    },
  ];
  // Taker rates first, so that no rebate is ever above another account's taker rate.
  for (const [k, a] of ACCOUNTS.entries()) {
    setup.push({ type: 'CreateAccount', accountId: a }, { type: 'SetFeeSchedule', accountId: a, makerBps: 0, takerBps: schedules[k]!.taker });
  }
  for (const [k, a] of ACCOUNTS.entries()) {
    setup.push({ type: 'SetFeeSchedule', accountId: a, makerBps: schedules[k]!.maker, takerBps: schedules[k]!.taker });
    model.addAccount(a, schedules[k]!.maker, schedules[k]!.taker);
  }
  for (const c of setup) {
    const r = core.apply({ ts, command: c });
    if (!r.ok) throw new Error(`setup ${c.type}: ${r.code} ${r.message}`);
  }
  for (const a of ACCOUNTS) {
    for (const c of [{ type: 'Deposit' as const, account: a, asset: 'USD' as const, amount: 400_000_000n }, { type: 'Deposit' as const, account: a, asset: 'BTC' as const, amount: 1_000_000n }]) {
      model.apply(ts, c);
      core.apply({ ts, command: coreCommand(c) });
    }
  }

  for (const [step, i] of intents.entries()) {
    ts += i.dt;
    const command = concretise(model, i, ts);
    const expected = model.apply(ts, command);
    const actual = core.apply({ ts, command: coreCommand(command) });
    const where = `step ${step}: ${JSON.stringify(command, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    expect({ ok: actual.ok, code: actual.ok ? undefined : actual.code }, where).toEqual({ ok: expected.ok, code: expected.code });
    expect(coreFills(actual.events), where).toEqual(expected.fills);
    const triggered = actual.events.flatMap((e) => (e.type === 'OrderTriggered' ? [Number(e.order.orderId)] : []));
    expect(triggered, `${where}: stops triggered`).toEqual(expected.triggered);
    seen.fills += expected.fills.length;
    seen.triggered += triggered.length;
    if (triggered.length > 1) seen.cascades++;
    if (!actual.ok) seen.codes.add(actual.code);
    for (const e of actual.events) if (e.type === 'OrderCanceled') seen.reasons.add(e.reason);
    expect(coreState(core), where).toEqual(modelState(model));
    // Stops triggered after the order change the book it is checked against: those commands are left out.
    if (command.type === 'Place' && command.stop === undefined && actual.ok && triggered.length === 0) takerLeftNothingItCouldTake(model, command, actual.events, where);
  }
}

/**
 * A market or IOC order never ends with an unfilled remainder while an order it may trade with
 * (another account's, not expired) rests within its limit and what it holds. Orders stopped by
 * STP are left out: their own resting order is what stopped them. Checked against the model's
 * book, which the step above found equal to the core's.
 */
function takerLeftNothingItCouldTake(model: MatchingModel, c: Extract<ModelCommand, { type: 'Place' }>, events: readonly CoreEvent[], where: string): void {
  if (!c.market && c.tif !== 'IOC') return;
  // The placed order's own end (a stop of the account can be expired in the same command).
  const accepted = events.find((e) => e.type === 'OrderAccepted');
  const ended = events.find((e) => e.type === 'OrderCanceled' && accepted?.type === 'OrderAccepted' && e.order.orderId === accepted.order.orderId);
  if (ended?.type !== 'OrderCanceled' || ended.reason === 'stp') return;
  const eligible = model.queue(c.side === 'buy' ? 'sell' : 'buy').filter((o) => o.account !== c.account && !model.expired(o));
  if (c.quoteQuantity !== undefined) {
    // Spent so far: notional + taker fees of its fills; one more lot at the best eligible ask must cost more than is left.
    let spent = units(ended.order.filledQuote, 6);
    for (const e of events) if (e.type === 'OrderFilled' && e.order.orderId === ended.order.orderId) spent += units(e.fee, 6);
    const best = eligible[0];
    if (best !== undefined) {
      const bps = model.accounts.get(c.account)!.takerBps;
      const filled = units(ended.order.filledQuote, 6);
      const lot = model.notional(best.limit!, LOT);
      const cost = lot + ceilDivModel((filled + lot) * bps, 10_000n) - ceilDivModel(filled * bps, 10_000n);
      expect(cost, `${where}: budget left would buy another lot`).toBeGreaterThan(c.quoteQuantity - spent);
    }
    return;
  }
  const within = c.market ? eligible : eligible.filter((o) => (c.side === 'buy' ? o.limit! <= c.price! : o.limit! >= c.price!));
  expect(within.map((o) => o.id), `${where}: ${ended.reason} with tradable orders resting`).toEqual([]);
}

describe('the core agrees with an independent reference model of the trading rules', () => {
  it('on fills, fees, balances and holds, open orders and queue priority after every command of long random streams', () => {
    fc.assert(fc.property(fees, fc.array(intent, { minLength: 150, maxLength: 300 }), (schedules, intents) => run(schedules, intents)), { numRuns: 30 });
    expect(seen.fills).toBeGreaterThan(200);
    // Floors well below what 30 runs reach (about 350 fills, 50 triggers, 10 cascades), so that a
    // generator that stops reaching stops fails without the test failing by chance.
    expect(seen.triggered).toBeGreaterThan(25);
    expect(seen.cascades).toBeGreaterThan(2);
    for (const code of ['STOP_PRICE_REQUIRED', 'STOP_PRICE_WRONG_SIDE', 'KILL_SWITCH_ACTIVE', 'INSTRUMENT_HALTED', 'INSTRUMENT_CANCEL_ONLY', 'INSTRUMENT_POST_ONLY', 'INSUFFICIENT_FUNDS', 'POST_ONLY_WOULD_CROSS', 'FOK_NOT_FILLABLE', 'DUPLICATE_CLIENT_ORDER_ID', 'AMEND_NO_CHANGE', 'ORDER_NOT_FOUND', 'NOTIONAL_TOO_SMALL', 'INVALID_ORDER']) {
      expect(seen.codes, code).toContain(code);
    }
    for (const reason of ['user', 'mass_cancel', 'kill_switch', 'expired', 'stp', 'ioc_remainder', 'market_no_liquidity']) expect(seen.reasons, reason).toContain(reason);
  });
});
