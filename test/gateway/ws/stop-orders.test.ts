/**
 * Stop and stop-limit orders over real WebSocket connections: placement and the stop-price
 * amend through the request frames, bad stop input as error frames with the catalog codes, and
 * the trigger on the private orders channel (`orders.update`, event `triggered`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientPool, type WsTestClient } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';

const WAIT = 20_000;
let h: Harness;
let stopper: Trader;
let maker: Trader;
let taker: Trader;
const pool = new ClientPool();

async function loggedIn(trader: Trader): Promise<WsTestClient> {
  const c = await pool.connect(h.url);
  expect((await c.login(trader)).type).toBe('reply');
  return c;
}

const limit = (side: 'buy' | 'sell', price: string, quantity: string, extra: Record<string, unknown> = {}) =>
  ({ symbol: 'ETH-USD', side, type: 'limit', price, quantity, timeInForce: 'GTC', ...extra });

beforeAll(async () => {
  h = await startHarness();
  stopper = await h.trader('w-stopper');
  maker = await h.trader('w-maker');
  taker = await h.trader('w-taker');
  // The last trade price: 2000.
  const m = await loggedIn(maker);
  await m.ok('placeOrder', limit('sell', '2000', '1'));
  const t = await loggedIn(taker);
  await t.ok('placeOrder', limit('buy', '2000', '1'));
  m.close();
  t.close();
});

afterEach(() => expect(pool.release()).toEqual([]));

afterAll(async () => h.close());

describe('stop orders over WebSocket', () => {
  it('answers bad stop input with error frames carrying the catalog codes', async () => {
    const c = await loggedIn(stopper);
    expect(await c.request('placeOrder', { symbol: 'ETH-USD', side: 'buy', type: 'stop', quoteQuantity: '100' })).toMatchObject({ type: 'error', code: 'STOP_PRICE_REQUIRED', status: 400 });
    expect(await c.request('placeOrder', { symbol: 'ETH-USD', side: 'buy', type: 'stop_limit', stopPrice: '1990', price: '2010', quantity: '1' }))
      .toMatchObject({ type: 'error', code: 'STOP_PRICE_WRONG_SIDE', status: 422 });
    c.close();
  });

  it('places a stop-limit, moves its stop price, and streams its trigger and fill on the orders channel', async () => {
    const c = await loggedIn(stopper);
    await c.ok('subscribe', { channel: 'orders' });
    const placed = await c.ok('placeOrder', { symbol: 'ETH-USD', side: 'buy', type: 'stop_limit', stopPrice: '2020', price: '2030', quantity: '0.5', clientOrderId: 'ws-stop-1' });
    expect(placed.result.order).toMatchObject({ type: 'limit', stopPrice: '2020', price: '2030', triggerState: 'untriggered', status: 'new' });
    expect(await c.request('amendOrder', { clientOrderId: 'ws-stop-1', stopPrice: '1999' })).toMatchObject({ type: 'error', code: 'STOP_PRICE_WRONG_SIDE' });
    const amended = await c.ok('amendOrder', { clientOrderId: 'ws-stop-1', stopPrice: '2010' });
    expect(amended.result.order).toMatchObject({ stopPrice: '2010', triggerState: 'untriggered' });
    const orderId = placed.result.order.orderId as string;
    const from = c.frames.length;

    const m = await loggedIn(maker);
    await m.ok('placeOrder', limit('sell', '2010', '2'));
    const t = await loggedIn(taker);
    await t.ok('placeOrder', limit('buy', '2010', '0.1', { timeInForce: 'IOC' }));
    const triggered = await c.waitFor((f) => f.type === 'orders.update' && f.event === 'triggered', { from, timeoutMs: WAIT });
    expect(triggered.order).toMatchObject({ orderId, triggerState: 'triggered', status: 'new', stopPrice: '2010' });
    expect(typeof triggered.order.triggeredAt).toBe('number');
    const filled = await c.waitFor((f) => f.type === 'orders.update' && f.event === 'filled' && f.order.orderId === orderId, { from, timeoutMs: WAIT });
    expect(filled.seq).toBeGreaterThan(triggered.seq);
    expect(filled.order).toMatchObject({ status: 'filled', filledQuantity: '0.5', averagePrice: '2010', triggerState: 'triggered' });
    m.close();
    t.close();
    c.close();
  });
});
