/** Concurrent trading through the WebSocket gateway: several logged-in clients placing and canceling orders at once. */
import { random } from '../../durability/support/workload.js';
import type { Trader } from './harness.js';
import { WsTestClient } from './client.js';

export interface WorkloadResult {
  placed: number;
  rejected: number;
  canceled: number;
}

/**
 * Each trader sends `ordersEach` requests over its own connection: mostly limit orders around
 * 100-104 (crossing often, so trades happen), and now and then a cancel of one of its open orders.
 */
export async function trade(url: string, traders: readonly Trader[], ordersEach: number, seed: number, symbol = 'BTC-USD'): Promise<WorkloadResult> {
  const result: WorkloadResult = { placed: 0, rejected: 0, canceled: 0 };
  await Promise.all(traders.map(async (trader, n) => {
    const rnd = random(seed + n);
    const client = await WsTestClient.connect(url);
    try {
      const login = await client.login(trader);
      if (login.type !== 'reply') throw new Error(`login failed: ${JSON.stringify(login)}`);
      const open: string[] = [];
      for (let i = 0; i < ordersEach; i++) {
        if (open.length > 0 && rnd() < 0.2) {
          const [orderId] = open.splice(Math.floor(rnd() * open.length), 1);
          const r = await client.request('cancelOrder', { orderId });
          if (r.type === 'reply') result.canceled++;
          continue;
        }
        const side = rnd() < 0.5 ? 'buy' : 'sell';
        const price = (100 + Math.floor(rnd() * 400) / 100).toFixed(2);
        const quantity = (0.01 + Math.floor(rnd() * 100) / 100).toFixed(2);
        const r = await client.request('placeOrder', { symbol, side, type: 'limit', price, quantity, timeInForce: 'GTC' });
        if (r.type !== 'reply') {
          result.rejected++;
          continue;
        }
        result.placed++;
        if (r.result.order.remainingQuantity !== '0') open.push(r.result.order.orderId);
      }
    } finally {
      client.close();
    }
  }));
  return result;
}
