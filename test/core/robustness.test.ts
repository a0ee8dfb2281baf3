import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { market, T0 } from './harness.js';

const COMMAND_TYPES: Command['type'][] = [
  'AddAsset', 'AddInstrument', 'SetInstrumentStatus', 'CreateAccount', 'SetFeeSchedule', 'Deposit', 'Withdraw', 'SetKillSwitch',
  'PlaceOrder', 'AmendOrder', 'CancelOrder', 'CancelAll', 'ExpireOrders',
];

const junk = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.constantFrom('alice', 'BTC-USD', 'USD', '1', '0.5', '-1', 'buy', 'sell', 'limit', 'market', 'GTC', 'IOC', 'FOK', 'GTD', 'open'));

describe('robustness', () => {
  it('never throws on ill-typed commands: it rejects them with one event and no state change', () => {
    fc.assert(fc.property(
      fc.constantFrom(...COMMAND_TYPES),
      fc.dictionary(fc.constantFrom('accountId', 'symbol', 'asset', 'amount', 'side', 'orderType', 'price', 'quantity', 'quoteQuantity', 'timeInForce', 'expireAt', 'postOnly', 'stp', 'orderId', 'clientOrderId', 'newPrice', 'newQuantity', 'makerBps', 'takerBps', 'active', 'status', 'spec', 'maxOpenOrders'), junk),
      (type, fields) => {
        const h = market();
        const before = h.core.seq;
        const state = (): unknown => ({ ...(h.core.snapshot().state as object), seq: 0, ts: 0, clock: 0 });
        const stateBefore = state();
        const r = h.core.apply({ ts: T0 + 1, command: { ...fields, type } as Command });
        expect(h.core.seq).toBe(before + r.events.length);
        if (!r.ok) {
          expect(r.events).toHaveLength(1);
          expect(state()).toEqual(stateBefore);
        }
      },
    ), { numRuns: 300 });
  });

  it('is deterministic: two cores given the same commands emit byte-identical results', () => {
    const commands: Command[] = [
      { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
      { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
      { type: 'AddInstrument', spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.5', lotSize: '0.01', minQuantity: '0.01', maxQuantity: '10', minNotional: '0', priceBandBps: 0, status: 'open' } },
      { type: 'CreateAccount', accountId: 'a' },
      { type: 'CreateAccount', accountId: 'b' },
      { type: 'Deposit', accountId: 'a', asset: 'BTC', amount: '5' },
      { type: 'Deposit', accountId: 'b', asset: 'USD', amount: '5000' },
      { type: 'PlaceOrder', accountId: 'a', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'GTC', price: '100.5', quantity: '2' },
      { type: 'PlaceOrder', accountId: 'b', symbol: 'BTC-USD', side: 'buy', orderType: 'market', timeInForce: 'IOC', quoteQuantity: '150' },
    ];
    const run = (): string => {
      const core = createCore({ defaultMakerBps: 1, defaultTakerBps: 3 });
      return JSON.stringify(commands.map((command, i) => core.apply({ ts: T0 + i, command })));
    };
    expect(run()).toBe(run());
  });

  it('reads no clock and draws no randomness: the core source never calls them', () => {
    const dir = join(import.meta.dirname, '../../server/src/core');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const forbidden of ['Date.now', 'new Date', 'Math.random', 'performance.now', 'hrtime', 'parseFloat', 'toFixed']) {
        expect(source.includes(forbidden), `${file} uses ${forbidden}`).toBe(false);
      }
    }
  });
});
