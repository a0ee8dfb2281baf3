/**
 * Cancel-on-disconnect, chosen per connection at login: when such a connection closes (cleanly
 * or not), the orders placed through it that are still open are canceled, and no others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsTestClient } from './client.js';
import { eventually } from '../../helpers/eventually.js';
import { startHarness, type Harness, type Trader } from './harness.js';

let h: Harness;
let trader: Trader;

const order = (price: string) => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.01', timeInForce: 'GTC' });

async function statusOf(orderId: string): Promise<string | undefined> {
  return h.bus.core.order(trader.accountId, { orderId })?.status;
}


beforeAll(async () => {
  h = await startHarness();
  trader = await h.trader('cod');
  await h.trader('cod-counterparty');
});

afterAll(async () => h.close());

describe('cancel-on-disconnect', () => {
  it('cancels the open orders placed through the closed connection, and leaves the account\'s other orders alone', async () => {
    const cod = await WsTestClient.connect(h.url);
    expect((await cod.login(trader, { cancelOnDisconnect: true })).result.cancelOnDisconnect).toBe(true);
    const other = await WsTestClient.connect(h.url);
    await other.login(trader);

    const mine: string[] = [];
    for (const price of ['20000', '20001', '20002']) mine.push((await cod.ok('placeOrder', order(price))).result.order.orderId as string);
    const batch = await cod.ok('batch', { requests: [{ op: 'placeOrder', args: order('20003') }] });
    mine.push(batch.result.results[0].result.order.orderId);
    const filled = await cod.ok('placeOrder', order('20004'));
    await h.submit({ type: 'PlaceOrder', accountId: 'cod-counterparty', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: '20004', quantity: '0.01', timeInForce: 'GTC' });
    expect(await statusOf(filled.result.order.orderId)).toBe('filled');
    const fromOtherConnection = (await other.ok('placeOrder', order('20005'))).result.order.orderId as string;
    await h.submit({ type: 'PlaceOrder', accountId: 'cod', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '20006', quantity: '0.01', timeInForce: 'GTC', clientOrderId: 'elsewhere' });

    cod.close();
    await cod.closed;
    await eventually(async () => expect(await Promise.all(mine.map(statusOf))).toEqual(mine.map(() => 'canceled')));
    expect(await statusOf(fromOtherConnection)).toBe('new');
    expect(h.bus.core.order('cod', { clientOrderId: 'elsewhere' })?.status).toBe('new');
    expect(await statusOf(filled.result.order.orderId)).toBe('filled');
    other.close();
  });

  it('also fires when the connection drops without a close handshake', async () => {
    const cod = await WsTestClient.connect(h.url);
    await cod.login(trader, { cancelOnDisconnect: true });
    const orderId = (await cod.ok('placeOrder', order('19990'))).result.order.orderId as string;
    cod.ws.terminate();
    await eventually(async () => expect(await statusOf(orderId)).toBe('canceled'));
  });

  it('is off unless asked for at login', async () => {
    const plain = await WsTestClient.connect(h.url);
    expect((await plain.login(trader)).result.cancelOnDisconnect).toBe(false);
    const orderId = (await plain.ok('placeOrder', order('19980'))).result.order.orderId as string;
    plain.close();
    await plain.closed;
    // A later connection that asked for it: once its order is canceled, the plain connection's
    // close, which came first, has been handled too.
    const later = await WsTestClient.connect(h.url);
    await later.login(trader, { cancelOnDisconnect: true });
    const laterOrderId = (await later.ok('placeOrder', order('19970'))).result.order.orderId as string;
    later.close();
    await eventually(async () => expect(await statusOf(laterOrderId)).toBe('canceled'));
    expect(await statusOf(orderId)).toBe('new');
  });
});
