/** Test fixture for the trading core: a core, a clock, and shortcuts for common commands. */
import { createCore, type CoreOptions } from '../../server/src/core/index.js';
import type {
  Command, CommandResult, CoreEvent, InstrumentSpec, PlaceOrder, RejectCode, TradingCore,
} from '../../server/src/core/api.js';

export const T0 = 1_700_000_000_000;

export const BTC_USD: InstrumentSpec = {
  symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001',
  maxQuantity: '1000', minNotional: '1', priceBandBps: 0, status: 'open',
};

export type OrderInput = Omit<PlaceOrder, 'type' | 'accountId' | 'symbol' | 'timeInForce' | 'orderType'> &
  Partial<Pick<PlaceOrder, 'symbol' | 'timeInForce' | 'orderType'>>;

export class Harness {
  readonly core: TradingCore;
  ts = T0;
  readonly log: CoreEvent[] = [];

  constructor(options?: CoreOptions) {
    this.core = createCore(options);
  }

  run(command: Command): CommandResult {
    const r = this.core.apply({ ts: this.ts, command });
    this.log.push(...r.events);
    return r;
  }

  /** Applies a command that must succeed; returns its events. */
  ok(command: Command): CoreEvent[] {
    const r = this.run(command);
    if (!r.ok) throw new Error(`${command.type} rejected: ${r.code} ${r.message}`);
    return r.events;
  }

  /** Applies a command that must fail; returns its code. */
  rejected(command: Command): RejectCode {
    const r = this.run(command);
    if (r.ok) throw new Error(`${command.type} was accepted`);
    return r.code;
  }

  place(accountId: string, o: OrderInput): CommandResult {
    return this.run({ type: 'PlaceOrder', accountId, symbol: 'BTC-USD', orderType: 'limit', timeInForce: 'GTC', ...o });
  }

  /** Places an order that must be accepted; returns its order id. */
  placeOk(accountId: string, o: OrderInput): string {
    const r = this.place(accountId, o);
    if (!r.ok) throw new Error(`order rejected: ${r.code} ${r.message}`);
    const accepted = r.events.find((e) => e.type === 'OrderAccepted');
    if (accepted === undefined || accepted.type !== 'OrderAccepted') throw new Error('no OrderAccepted');
    return accepted.order.orderId;
  }

  balance(accountId: string, asset: string): { total: string; available: string; hold: string } {
    const b = this.core.balances(accountId)?.find((x) => x.asset === asset);
    return b === undefined ? { total: '0', available: '0', hold: '0' } : { total: b.total, available: b.available, hold: b.hold };
  }
}

export function eventsOf<T extends CoreEvent['type']>(events: readonly CoreEvent[], type: T): Extract<CoreEvent, { type: T }>[] {
  return events.filter((e): e is Extract<CoreEvent, { type: T }> => e.type === type);
}

/**
 * A BTC-USD market (BTC 8 decimals, USD 6 decimals) with traders alice, bob and carol, each
 * funded with `usd` USD and `btc` BTC.
 */
export function market(options: CoreOptions = {}, spec: Partial<InstrumentSpec> = {}, usd = '1000000', btc = '100'): Harness {
  const h = new Harness(options);
  h.ok({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
  h.ok({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  h.ok({ type: 'AddInstrument', spec: { ...BTC_USD, ...spec } });
  for (const id of ['alice', 'bob', 'carol']) {
    h.ok({ type: 'CreateAccount', accountId: id });
    if (usd !== '0') h.ok({ type: 'Deposit', accountId: id, asset: 'USD', amount: usd });
    if (btc !== '0') h.ok({ type: 'Deposit', accountId: id, asset: 'BTC', amount: btc });
  }
  return h;
}
