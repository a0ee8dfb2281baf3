/**
 * The order flow of the durability benchmarks (bench:durable, bench:history-projection): 200
 * accounts on one instrument; ~60 % passive limit orders near the touch, 30 % cancels of live
 * ones, 10 % aggressive IOC orders that trade. Seeded, so every run sends the same flow.
 */
import type { Command, CommandResult } from '../../server/src/core/api.js';

const ACCOUNTS = 200;
const SYMBOL = 'BTC-USD';

/** xorshift32: every run sends the same flow. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4_294_967_296;
  };
}

export class Flow {
  private readonly live: { accountId: string; orderId: string }[] = [];
  private readonly next = rng(0x9e3779b9);

  command(): Command {
    const r = this.next();
    const accountId = `acct${Math.floor(this.next() * ACCOUNTS)}`;
    if (r < 0.3 && this.live.length > 0) {
      const at = Math.floor(this.next() * this.live.length);
      const target = this.live[at]!;
      this.live[at] = this.live[this.live.length - 1]!;
      this.live.pop();
      return { type: 'CancelOrder', accountId: target.accountId, orderId: target.orderId };
    }
    const side = this.next() < 0.5 ? 'buy' : 'sell';
    const quantity = ((1 + Math.floor(this.next() * 20)) / 1000).toFixed(3);
    if (r < 0.4) {
      const price = (side === 'buy' ? 100.05 : 99.95).toFixed(2);
      return { type: 'PlaceOrder', accountId, symbol: SYMBOL, side, orderType: 'limit', timeInForce: 'IOC', price, quantity };
    }
    const away = 1 + Math.floor(this.next() * 10);
    const price = ((side === 'buy' ? 10_000 - away : 10_000 + away) / 100).toFixed(2);
    return { type: 'PlaceOrder', accountId, symbol: SYMBOL, side, orderType: 'limit', timeInForce: 'GTC', price, quantity };
  }

  track(result: CommandResult): void {
    for (const e of result.events) {
      if (e.type === 'OrderAccepted' && e.order.timeInForce === 'GTC') this.live.push({ accountId: e.order.accountId, orderId: e.order.orderId });
    }
  }
}

export function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    {
      type: 'AddInstrument', spec: {
        symbol: SYMBOL, base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000',
        minNotional: '0', priceBandBps: 0, status: 'open',
      },
    },
  ];
  for (let a = 0; a < ACCOUNTS; a++) {
    const accountId = `acct${a}`;
    commands.push({ type: 'CreateAccount', accountId, maxOpenOrders: 100_000 });
    commands.push({ type: 'Deposit', accountId, asset: 'USD', amount: '1000000000' });
    commands.push({ type: 'Deposit', accountId, asset: 'BTC', amount: '10000000' });
  }
  return commands;
}
