/**
 * The crash test's market and order flow: a seeded, reproducible mix of limit, market,
 * amend and cancel commands from several traders, sent with many requests in flight.
 */
import type { Command, CommandResult, InstrumentSpec } from '../../../server/src/core/api.js';
import type { HarnessClient } from '../harness/client.js';
import { seededRandom } from '../../../server/src/demo/prng.js';

export const SYMBOLS = ['BTC-USD', 'ETH-USD'];
export const TRADERS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];
export const FEE_ACCOUNT = 'fees';
export const DEPOSITS: Record<string, string> = { USD: '1000000', BTC: '100', ETH: '1000' };

const spec = (symbol: string, base: string): InstrumentSpec => ({
  symbol, base, quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000', minNotional: '1',
  priceBandBps: 0, status: 'open',
});

/** Commands that set the market up; each must be acknowledged before the flow starts. */
export function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    { type: 'AddAsset', spec: { asset: 'ETH', decimals: 8 } },
    { type: 'AddInstrument', spec: spec('BTC-USD', 'BTC') },
    { type: 'AddInstrument', spec: spec('ETH-USD', 'ETH') },
  ];
  for (const accountId of TRADERS) {
    commands.push({ type: 'CreateAccount', accountId });
    commands.push({ type: 'SetFeeSchedule', accountId, makerBps: 5, takerBps: 25 });
    for (const [asset, amount] of Object.entries(DEPOSITS)) commands.push({ type: 'Deposit', accountId, asset, amount });
  }
  return commands;
}

/** The seedable PRNG the demo market uses, so a failing run can be replayed from its seed. */
export const random = seededRandom;

export interface Acknowledged {
  command: Command;
  result: CommandResult;
}

/**
 * One client's order flow until `stop()` is true or its connection drops: up to `inFlight`
 * requests outstanding, every acknowledged result recorded in `acked`.
 */
export async function runClient(client: HarnessClient, seed: number, accounts: string[], acked: Acknowledged[], stop: () => boolean, inFlight = 16): Promise<void> {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const openOrders: { accountId: string; orderId: string }[] = [];
  let n = 0;

  const nextCommand = (): Command => {
    const accountId = pick(accounts);
    const symbol = pick(SYMBOLS);
    const roll = rnd();
    if (roll < 0.2 && openOrders.length > 0) {
      const [target] = openOrders.splice(Math.floor(rnd() * openOrders.length), 1);
      return { type: 'CancelOrder', accountId: target!.accountId, orderId: target!.orderId };
    }
    if (roll < 0.27 && openOrders.length > 0) {
      const target = pick(openOrders);
      return { type: 'AmendOrder', accountId: target.accountId, orderId: target.orderId, newQuantity: (0.01 + rnd()).toFixed(4) };
    }
    const side = rnd() < 0.5 ? 'buy' : 'sell';
    const quantity = (0.001 + rnd() * 0.5).toFixed(4);
    if (roll < 0.4) return { type: 'PlaceOrder', accountId, symbol, side, orderType: 'market', quantity, timeInForce: 'IOC' };
    const price = (100 + (side === 'buy' ? -1 : 1) * (rnd() * 4 - 1)).toFixed(2);
    return {
      type: 'PlaceOrder', accountId, symbol, side, orderType: 'limit', price, quantity, timeInForce: rnd() < 0.85 ? 'GTC' : 'IOC',
      clientOrderId: `s${seed}-${n++}`,
    };
  };

  const worker = async (): Promise<void> => {
    while (!stop()) {
      const command = nextCommand();
      let reply: Record<string, unknown>;
      try {
        reply = await client.request({ command });
      } catch {
        return; // the server died: this request was never acknowledged
      }
      const result = reply.result as CommandResult | undefined;
      if (!result) throw new Error(`server refused a command: ${JSON.stringify(reply.error)}`);
      acked.push({ command, result });
      for (const event of result.events) {
        if (event.type === 'OrderAccepted' && event.order.status !== 'filled' && event.order.timeInForce === 'GTC') {
          openOrders.push({ accountId: event.order.accountId, orderId: event.order.orderId });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
