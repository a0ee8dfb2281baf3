import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials } from '../../helpers/signing.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { eventually } from '../../helpers/eventually.js';

// Stop and stop-limit orders over real HTTP, with response validation on: placement, bad stop
// input with its catalog codes, amend of the stop price, and the trigger seen in the order's
// later views and its history.
let svc: TestService;
let alice: Credentials & { accountId: string };
let bob: Credentials & { accountId: string };
let carol: Credentials & { accountId: string };
const as = (c: Credentials) => (method: string, path: string, body?: unknown) =>
  signedFetch(svc.baseUrl, c, method, path, { ...(body !== undefined && { body }) });

beforeAll(async () => {
  svc = await startTestService({ config: { limits: { keyWeightPerSecond: 10_000, ipWeightPerSecond: 10_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 } } });
  alice = await svc.createTrader('alice');
  bob = await svc.createTrader('bob');
  carol = await svc.createTrader('carol');
  // A last trade price: 20000.
  expect((await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '20000', quantity: '0.1' })).status).toBe(201);
  expect((await as(carol)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000', quantity: '0.1' })).status).toBe(201);
});
afterAll(async () => {
  await svc.stop();
});

describe('stop orders over REST', () => {
  it('places a stop-limit: untriggered, shown as a limit order with its stop price, hold reserved, not in the book', async () => {
    const res = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'stop_limit', stopPrice: '20100', price: '20150', quantity: '0.2', clientOrderId: 'sl-1' });
    expect(res.status).toBe(201);
    expect(res.body.order).toMatchObject({ type: 'limit', stopPrice: '20100', price: '20150', triggerState: 'untriggered', status: 'new', remainingQuantity: '0.2' });
    expect(res.body.order.triggeredAt).toBeUndefined();
    const balances = await as(alice)('GET', '/v1/balances');
    expect(balances.body.data.find((b: { asset: string }) => b.asset === 'USD').hold).toBe('4030');
    const book = await fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/book`).then((r) => r.json() as Promise<any>);
    expect(book.bids).toEqual([]);
    const open = await as(alice)('GET', '/v1/orders/open');
    expect(open.body.data.map((o: { clientOrderId: string }) => o.clientOrderId)).toEqual(['sl-1']);
  });

  it('answers bad stop input with its catalog codes as problem details', async () => {
    const missing = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'stop', quantity: '0.1' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'STOP_PRICE_REQUIRED', status: 400 });
    expect(missing.body.type).toMatch(/\/docs\/guides\/errors#STOP_PRICE_REQUIRED$/);
    const wrongSide = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'stop', stopPrice: '20500', quantity: '0.1' });
    expect(wrongSide.status).toBe(422);
    expect(wrongSide.body).toMatchObject({ code: 'STOP_PRICE_WRONG_SIDE' });
    expect(wrongSide.body.detail).toContain('below the last trade price 20000');
    const malformed = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'stop', stopPrice: '-1', quantity: '0.1' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_FAILED');
  });

  it('amends the stop price, and the order triggers when a trade reaches it', async () => {
    const wrong = await as(alice)('PATCH', '/v1/orders/by-client-id/sl-1', { stopPrice: '19900' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('STOP_PRICE_WRONG_SIDE');
    const moved = await as(alice)('PATCH', '/v1/orders/by-client-id/sl-1', { stopPrice: '20050' });
    expect(moved.status).toBe(200);
    expect(moved.body.order).toMatchObject({ stopPrice: '20050', triggerState: 'untriggered' });

    expect((await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '20050', quantity: '0.3' })).status).toBe(201);
    const hit = await as(carol)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20050', quantity: '0.1', timeInForce: 'IOC' });
    expect(hit.body.order.status).toBe('filled');
    const order = await as(alice)('GET', '/v1/orders/by-client-id/sl-1');
    expect(order.body).toMatchObject({ triggerState: 'triggered', status: 'filled', filledQuantity: '0.2', averagePrice: '20050' });
    expect(order.body.triggeredAt).toBeGreaterThanOrEqual(order.body.createdAt);
    const orderId = order.body.orderId as string;
    // The history says so too, once it has caught up.
    await eventually(async () => {
      const history = await as(alice)('GET', '/v1/orders?symbol=BTC-USD');
      expect(history.body.data.find((o: { orderId: string }) => o.orderId === orderId)).toMatchObject({ triggerState: 'triggered', stopPrice: '20050', status: 'filled' });
    });
  });

  it('places a stop buy by quote amount and cancels it untriggered, releasing its hold', async () => {
    const res = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'stop', stopPrice: '21000', quoteQuantity: '500', clientOrderId: 'st-2' });
    expect(res.status).toBe(201);
    expect(res.body.order).toMatchObject({ type: 'market', stopPrice: '21000', quoteQuantity: '500', triggerState: 'untriggered' });
    const canceled = await as(alice)('DELETE', '/v1/orders/by-client-id/st-2');
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', cancelReason: 'user', triggerState: 'untriggered' });
    const balances = await as(alice)('GET', '/v1/balances');
    expect(balances.body.data.find((b: { asset: string }) => b.asset === 'USD').hold).toBe('0');
  });
});
