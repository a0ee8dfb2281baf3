/**
 * Run with --expose-gc: the heap each resting order keeps, over 20,000 GTC orders placed at
 * envelope times of today's epoch milliseconds (beyond a small integer) and partly filled, so
 * that every amount and time field of an order has held a value. Prints `{ "perOrder": bytes }`.
 */
import { createCore } from '../../../server/src/core/index.js';
import type { Command } from '../../../server/src/core/api.js';

const ORDERS = 20_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const core = createCore({ defaultMakerBps: -1, defaultTakerBps: 5, defaultMaxOpenOrders: 100_000 });
let ts = 1_765_000_000_000;
let nextId = 0;
const run = (command: Command): void => {
  const r = core.execute!({ ts: ++ts, command });
  if (!r.ok) throw new Error(`${command.type}: ${r.code} ${r.message}`);
  if (command.type === 'PlaceOrder') nextId = r.events.orderId(0) + 1;
};
run({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
run({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
run({
  type: 'AddInstrument', spec: {
    symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000',
    minNotional: '0', priceBandBps: 0, status: 'open',
  },
});
for (const accountId of ['maker', 'taker']) {
  run({ type: 'CreateAccount', accountId });
  run({ type: 'Deposit', accountId, asset: 'USD', amount: '1000000000' });
  run({ type: 'Deposit', accountId, asset: 'BTC', amount: '1000000' });
}
const price = (i: number): string => (100 + (i % 50) / 100).toFixed(2);
// Warm the paths up with every kind of command on both sides, then measure a fresh set of resting orders.
for (let i = 0; i < 20_000; i++) {
  const buy = i % 2 === 0;
  const side = buy ? 'buy' : 'sell';
  const p = buy ? 100 - (i % 40) / 100 : 100.01 + (i % 40) / 100;
  run({ type: 'PlaceOrder', accountId: 'maker', symbol: 'BTC-USD', side, orderType: 'limit', timeInForce: 'GTC', price: p.toFixed(2), quantity: '0.004' });
  if (i % 7 === 0) run({ type: 'AmendOrder', accountId: 'maker', orderId: String(nextId - 1), newQuantity: '0.003' });
  if (i % 5 === 0) run({ type: 'PlaceOrder', accountId: 'taker', symbol: 'BTC-USD', side: buy ? 'sell' : 'buy', orderType: 'limit', timeInForce: 'IOC', price: buy ? '99.80' : '100.20', quantity: '0.005' });
  if (i % 11 === 10) run({ type: 'PlaceOrder', accountId: 'taker', symbol: 'BTC-USD', side, orderType: 'market', timeInForce: 'IOC', quantity: '0.003' });
}
run({ type: 'CancelAll', accountId: 'maker' });
gc();
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < ORDERS; i++) {
  run({ type: 'PlaceOrder', accountId: 'maker', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: price(i), quantity: '0.002' });
  // Every tenth command takes part of the best bid, so fills update orders' amounts and times.
  if (i % 10 === 9) run({ type: 'PlaceOrder', accountId: 'taker', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', timeInForce: 'IOC', price: '100.49', quantity: '0.001' });
}
gc();
gc();
const held = process.memoryUsage().heapUsed - before;
process.stdout.write(JSON.stringify({ perOrder: Math.round(held / ORDERS) }));
