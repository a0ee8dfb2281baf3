/**
 * Property: whatever mix of quotes, accepts (on time or late, either side, any account), declines,
 * withdrawals, book orders and OTC fee changes is applied, every asset is conserved — the sum of
 * all accounts' totals (fee account included) equals what was deposited — no total or available
 * balance goes negative, each quote executes at most once, and a restore from a snapshot taken
 * midway replays the rest byte for byte.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, CoreSnapshot, TradingCore } from '../../server/src/core/api.js';
import { createCore, restoreCore } from '../../server/src/core/index.js';
import { units } from './decimal-model.js';

const T0 = 1_700_000_000_000;
const ACCOUNTS = ['a0', 'a1', 'a2', 'desk'];
const DECIMALS: Record<string, number> = { BTC: 8, USD: 4 };
const DEPOSITS: Record<string, bigint> = { BTC: 0n, USD: 0n };

const SETUP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 4 } },
  {
    type: 'AddInstrument', spec: {
      symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.5', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '5',
      minNotional: '0', priceBandBps: 0, status: 'open',
    },
  },
  ...ACCOUNTS.map((accountId): Command => ({ type: 'CreateAccount', accountId })),
  ...ACCOUNTS.flatMap((accountId): Command[] => [
    { type: 'Deposit', accountId, asset: 'USD', amount: '3000' },
    { type: 'Deposit', accountId, asset: 'BTC', amount: '10' },
  ]),
];
for (const c of SETUP) if (c.type === 'Deposit') DEPOSITS[c.asset] = (DEPOSITS[c.asset] ?? 0n) + units(c.amount, DECIMALS[c.asset]!);

type Step =
  | { k: 'issue'; client: number; quoter: number; side: 0 | 1 | 2; mid: number; spread: number; lots: number; ttl: number }
  | { k: 'accept'; client: number; stranger: boolean; pick: number; sell: boolean; matchSide?: boolean }
  | { k: 'decline'; client: number; pick: number }
  | { k: 'withdraw'; pick: number }
  | { k: 'fee'; acct: number; bps: number }
  | { k: 'order'; acct: number; sell: boolean; ticks: number; lots: number }
  | { k: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('issue' as const), client: fc.nat(3), quoter: fc.nat(3), side: fc.constantFrom(0 as const, 1 as const, 2 as const), mid: fc.integer({ min: 100, max: 400 }), spread: fc.nat(4), lots: fc.integer({ min: 1, max: 9000 }), ttl: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ k: fc.constant('accept' as const), client: fc.nat(3), stranger: fc.integer({ min: 0, max: 5 }).map((n) => n === 0), pick: fc.nat(30), sell: fc.boolean() }),
  fc.record({ k: fc.constant('accept' as const), client: fc.nat(3), stranger: fc.constant(false), pick: fc.constant(0), sell: fc.boolean() }),
  // The newest quote, by its owner, on a side the quote offers: the step most likely to execute.
  fc.record({ k: fc.constant('accept' as const), client: fc.nat(3), stranger: fc.constant(false), pick: fc.constant(0), sell: fc.boolean(), matchSide: fc.constant(true) }),
  fc.record({ k: fc.constant('decline' as const), client: fc.nat(3), pick: fc.nat(30) }),
  fc.record({ k: fc.constant('withdraw' as const), pick: fc.nat(30) }),
  fc.record({ k: fc.constant('fee' as const), acct: fc.nat(3), bps: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ k: fc.constant('order' as const), acct: fc.nat(3), sell: fc.boolean(), ticks: fc.integer({ min: 400, max: 800 }), lots: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 30 }) }),
);

interface Issued { quoteId: string; accountId: string; side: 'buy' | 'sell' | 'two_way' }

function toCommand(s: Step, issued: Issued[], ts: number): Command {
  // pick 0 is the newest quote, the likeliest to be still open.
  const at = (pick: number): Issued => (issued.length === 0 ? { quoteId: '1', accountId: 'a0', side: 'two_way' } : issued[issued.length - 1 - (pick % issued.length)]!);
  const quoteAt = (pick: number): string => at(pick).quoteId;
  switch (s.k) {
    case 'issue': {
      const half = (t: number) => (t / 2).toFixed(1);
      const side = (['buy', 'sell', 'two_way'] as const)[s.side];
      return {
        type: 'IssueQuote', accountId: ACCOUNTS[s.client]!, counterpartyId: ACCOUNTS[s.quoter]!, provider: `p${s.quoter}`, symbol: 'BTC-USD', side,
        ...(side !== 'buy' && { bidPrice: half(2 * s.mid - s.spread) }), ...(side !== 'sell' && { askPrice: half(2 * s.mid + s.spread) }),
        quantity: (s.lots / 1000).toFixed(3), validUntil: ts + s.ttl,
      };
    }
    case 'accept': {
      const q = at(s.pick);
      const side = (s.matchSide === true && q.side !== 'two_way' ? q.side : s.sell ? 'sell' : 'buy') as 'buy' | 'sell';
      return { type: 'AcceptQuote', accountId: s.stranger ? ACCOUNTS[s.client]! : q.accountId, quoteId: q.quoteId, side };
    }
    case 'decline': return { type: 'DeclineQuote', accountId: ACCOUNTS[s.client]!, quoteId: quoteAt(s.pick) };
    case 'withdraw': return { type: 'WithdrawQuote', quoteId: quoteAt(s.pick) };
    case 'fee': return { type: 'SetOtcFeeSchedule', accountId: ACCOUNTS[s.acct]!, otcBps: s.bps };
    case 'order': return {
      type: 'PlaceOrder', accountId: ACCOUNTS[s.acct]!, symbol: 'BTC-USD', side: s.sell ? 'sell' : 'buy', orderType: 'limit', timeInForce: 'GTC',
      price: (s.ticks / 2).toFixed(1), quantity: (s.lots / 1000).toFixed(3),
    };
    case 'wait': return { type: 'ExpireOrders' };
  }
}

function checkLedger(core: TradingCore): void {
  const sums: Record<string, bigint> = { BTC: 0n, USD: 0n };
  for (const a of [...ACCOUNTS, 'fees']) {
    for (const b of core.balances(a) ?? []) {
      const total = units(b.total, DECIMALS[b.asset]!);
      expect(total >= 0n && units(b.available, DECIMALS[b.asset]!) >= 0n).toBe(true);
      sums[b.asset] = (sums[b.asset] ?? 0n) + total;
    }
  }
  expect(sums).toEqual(DEPOSITS);
}

describe('OTC quote trades (property)', () => {
  it('conserve every asset, execute each quote at most once, and replay identically after a restore', () => {
    let executions = 0;
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.nat(60), (steps, cutAt) => {
      const core = createCore();
      let ts = T0;
      for (const command of SETUP) core.apply({ ts, command });
      const issued: Issued[] = [];
      const executed = new Map<string, number>();
      const cut = cutAt % steps.length;
      let snapshot: CoreSnapshot | undefined;
      const tail: { ts: number; command: Command; result: string }[] = [];
      steps.forEach((s, i) => {
        if (i === cut) snapshot = JSON.parse(JSON.stringify(core.snapshot())) as CoreSnapshot;
        ts += s.k === 'wait' ? s.ms : 1;
        const command = toCommand(s, issued, ts);
        const result = core.apply({ ts, command });
        if (i >= cut) tail.push({ ts, command, result: JSON.stringify(result) });
        for (const e of result.events) {
          if (e.type === 'QuoteIssued') issued.push({ quoteId: e.quote.quoteId, accountId: e.quote.accountId, side: e.quote.side });
          if (e.type === 'QuoteClosed' && e.quote.status === 'executed') executed.set(e.quote.quoteId, (executed.get(e.quote.quoteId) ?? 0) + 1);
          if (e.type === 'OrderFilled' && e.order.quoteId !== undefined) expect(e.order.status).toBe('filled');
        }
        checkLedger(core);
      });
      for (const n of executed.values()) expect(n).toBe(1);
      executions += executed.size;
      const restored = restoreCore(snapshot!);
      for (const t of tail) expect(JSON.stringify(restored.apply({ ts: t.ts, command: t.command }))).toBe(t.result);
    }), { numRuns: 300 });
    // The generator must reach executions, not only refusals.
    expect(executions).toBeGreaterThan(20);
  });
});
