/**
 * Order entry over real sockets: place, amend, cancel, cancel-all and batch, with REST's
 * validation, error codes (core rejections map through the shared table) and idempotency, and
 * the caller's rate-limit usage on every reply.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_STATUS } from '../../../server/src/errors/reject-codes.js';
import { ClientPool, type WsTestClient } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';

let h: Harness;
let maker: Trader;
let taker: Trader;
let reader: Trader;
let poor: Trader;
const pool = new ClientPool();

async function loggedIn(trader: Trader): Promise<WsTestClient> {
  const c = await pool.connect(h.url);
  const reply = await c.login(trader);
  expect(reply.type).toBe('reply');
  return c;
}

const limit = (side: 'buy' | 'sell', price: string, quantity: string, extra: Record<string, unknown> = {}) =>
  ({ symbol: 'ETH-USD', side, type: 'limit', price, quantity, timeInForce: 'GTC', ...extra });

beforeAll(async () => {
  h = await startHarness();
  maker = await h.trader('o-maker');
  taker = await h.trader('o-taker');
  reader = await h.trader('o-reader', ['read']);
  poor = await h.trader('o-poor', ['read', 'trade'], { USD: '10' });
});

afterEach(() => expect(pool.release()).toEqual([]));

afterAll(async () => h.close());

describe('place, amend, cancel', () => {
  it('places a resting order and reports it with the request and order-rate budgets', async () => {
    const c = await loggedIn(maker);
    const reply = await c.ok('placeOrder', limit('sell', '2000', '1.5', { clientOrderId: 'm-1' }));
    expect(reply.result).toMatchObject({ order: { symbol: 'ETH-USD', side: 'sell', type: 'limit', price: '2000', quantity: '1.5', remainingQuantity: '1.5', status: 'new', clientOrderId: 'm-1' }, fills: [] });
    expect(reply.rateLimit.map((u: { policy: string }) => u.policy)).toEqual(['key', 'ip', 'orders-1s']);
    expect(h.bus.core.order(maker.accountId, { clientOrderId: 'm-1' })?.orderId).toBe(reply.result.order.orderId);
  });

  it('fills a crossing order and returns its fills', async () => {
    const m = await loggedIn(maker);
    await m.ok('placeOrder', limit('sell', '2001', '1'));
    const t = await loggedIn(taker);
    const reply = await t.ok('placeOrder', { symbol: 'ETH-USD', side: 'buy', type: 'market', quantity: '0.4', timeInForce: 'IOC' });
    expect(reply.result.order).toMatchObject({ status: 'filled', filledQuantity: '0.4' });
    expect(reply.result.fills).toHaveLength(1);
    expect(reply.result.fills[0]).toMatchObject({ price: '2000', quantity: '0.4', liquidity: 'taker', side: 'buy' });
  });

  it('amends by client order id, then cancels by order id', async () => {
    const c = await loggedIn(maker);
    const placed = await c.ok('placeOrder', limit('buy', '1950', '1', { clientOrderId: 'm-amend' }));
    const amended = await c.ok('amendOrder', { clientOrderId: 'm-amend', price: '1951', quantity: '2' });
    expect(amended.result.order).toMatchObject({ orderId: placed.result.order.orderId, price: '1951', quantity: '2', status: 'new' });
    const canceled = await c.ok('cancelOrder', { orderId: placed.result.order.orderId });
    expect(canceled.result.order).toMatchObject({ status: 'canceled', cancelReason: 'user' });
    expect(h.bus.core.order(maker.accountId, { orderId: placed.result.order.orderId })?.status).toBe('canceled');
  });

  it('cancels all of an account\'s orders on one symbol', async () => {
    const c = await loggedIn(maker);
    await c.ok('placeOrder', { ...limit('buy', '1400', '1'), symbol: 'BTC-USD', price: '20000', quantity: '0.01' });
    await c.ok('placeOrder', limit('buy', '1941', '1'));
    await c.ok('placeOrder', limit('buy', '1942', '1'));
    const reply = await c.ok('cancelAll', { symbol: 'ETH-USD' });
    expect(reply.result.canceled.length).toBeGreaterThanOrEqual(2);
    expect(reply.result.canceled.every((o: { symbol: string; status: string }) => o.symbol === 'ETH-USD' && o.status === 'canceled')).toBe(true);
    expect(h.bus.core.openOrders(maker.accountId, 'ETH-USD')).toEqual([]);
    expect(h.bus.core.openOrders(maker.accountId, 'BTC-USD')).toHaveLength(1);
  });

  it('handles pipelined requests in order: a cancel sent right behind its place finds the order', async () => {
    const c = await loggedIn(maker);
    const start = c.frames.length;
    c.send({ id: 'p', op: 'placeOrder', args: limit('buy', '1930', '1', { clientOrderId: 'pipe-1' }) });
    c.send({ id: 'x', op: 'cancelOrder', args: { clientOrderId: 'pipe-1' } });
    const cancel = await c.waitFor((f) => f.id === 'x', { from: start });
    expect(cancel).toMatchObject({ type: 'reply', result: { order: { clientOrderId: 'pipe-1', status: 'canceled' } } });
    const answers = c.frames.slice(start).filter((f) => f.type === 'reply').map((f) => f.id);
    expect(answers).toEqual(['p', 'x']);
  });

  it('answers a retried placement with the same client order id with the same order, and a different body with IDEMPOTENCY_CONFLICT', async () => {
    const c = await loggedIn(maker);
    const first = await c.ok('placeOrder', limit('buy', '1920', '1', { clientOrderId: 'retry-1' }));
    const again = await c.ok('placeOrder', limit('buy', '1920', '1', { clientOrderId: 'retry-1' }));
    expect(again.result.order.orderId).toBe(first.result.order.orderId);
    expect(await c.request('placeOrder', limit('buy', '1920', '2', { clientOrderId: 'retry-1' }))).toMatchObject({ type: 'error', code: 'IDEMPOTENCY_CONFLICT', status: 409 });
  });
});

describe('the same checks and codes as REST', () => {
  it('maps core rejections through the shared reject-code table', async () => {
    const c = await loggedIn(maker);
    const cases: [Record<string, unknown>, string][] = [
      [limit('buy', '1990.001', '1'), 'PRICE_OFF_TICK'],
      [limit('buy', '1990', '0.00001'), 'QUANTITY_OFF_LOT'],
      [{ ...limit('buy', '1990', '1'), symbol: 'DOGE-USD' }, 'UNKNOWN_SYMBOL'],
      [limit('buy', '1990', '1', { timeInForce: 'GTD' }), 'INVALID_EXPIRY'],
    ];
    for (const [args, code] of cases) {
      expect(await c.request('placeOrder', args), code).toMatchObject({ type: 'error', op: 'placeOrder', code, status: REJECT_STATUS[code as keyof typeof REJECT_STATUS] });
    }
    const p = await loggedIn(poor);
    const poorAnswer = await p.request('placeOrder', limit('buy', '1990', '1'));
    expect(poorAnswer).toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 422 });
    // Error frames of order entry carry the order-rate budget too.
    expect(poorAnswer.rateLimit.map((u: { policy: string }) => u.policy)).toEqual(['key', 'ip', 'orders-1s']);
    expect(await c.request('cancelOrder', { orderId: '999999' })).toMatchObject({ code: 'ORDER_NOT_FOUND', status: 404 });
  });

  it('refuses requests that break the schema with VALIDATION_FAILED and the offending fields', async () => {
    const c = await loggedIn(maker);
    const missing = await c.request('placeOrder', { symbol: 'ETH-USD', type: 'limit', price: '1', quantity: '1' });
    expect(missing).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, errors: [{ path: '/args/side', message: 'is required' }] });
    const numeric = await c.request('placeOrder', { ...limit('buy', '1', '1'), price: 1000 });
    expect(numeric.errors).toEqual([{ path: '/args/price', message: 'must be string' }]);
    const extra = await c.request('placeOrder', { ...limit('buy', '1', '1'), leverage: 10 });
    expect(extra.errors).toEqual([{ path: '/args/leverage', message: 'is not allowed' }]);
    const nothingToAmend = await c.request('amendOrder', { orderId: '1' });
    expect(nothingToAmend).toMatchObject({ code: 'VALIDATION_FAILED' });
    const bothRefs = await c.request('cancelOrder', { orderId: '1', clientOrderId: 'a' });
    expect(bothRefs).toMatchObject({ code: 'VALIDATION_FAILED' });
    const unknownOp = await c.request('transfer', {});
    expect(unknownOp).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/op' }] });
    expect('op' in unknownOp).toBe(false);
  });

  it('needs a login and the trade scope', async () => {
    const anonymous = await pool.connect(h.url);
    expect(await anonymous.request('placeOrder', limit('buy', '1000', '1'))).toMatchObject({ code: 'WS_LOGIN_REQUIRED', status: 401 });
    const readOnly = await loggedIn(reader);
    expect(await readOnly.request('placeOrder', limit('buy', '1000', '1'))).toMatchObject({ code: 'AUTH_SCOPE_MISSING', status: 403 });
    expect(await readOnly.request('cancelAll')).toMatchObject({ code: 'AUTH_SCOPE_MISSING' });
    expect((await readOnly.request('subscribe', { channel: 'orders' })).type).toBe('reply');
  });
});

describe('batch', () => {
  it('runs each request in order with its own result; one failure does not stop the others', async () => {
    const c = await loggedIn(maker);
    await c.ok('placeOrder', limit('buy', '1960', '1', { clientOrderId: 'bid-1' }));
    const reply = await c.ok('batch', {
      requests: [
        { op: 'cancelOrder', args: { clientOrderId: 'bid-1' } },
        { op: 'placeOrder', args: limit('buy', '1960.5', '1', { clientOrderId: 'bid-2' }) },
        { op: 'placeOrder', args: limit('buy', '1960.555', '1') },
        { op: 'amendOrder', args: { clientOrderId: 'bid-2', quantity: '0.5' } },
      ],
    });
    const results = reply.result.results;
    expect(results.map((r: { ok: boolean; op: string }) => [r.op, r.ok])).toEqual([['cancelOrder', true], ['placeOrder', true], ['placeOrder', false], ['amendOrder', true]]);
    expect(results[0].result.order.status).toBe('canceled');
    expect(results[2].error).toMatchObject({ code: 'PRICE_OFF_TICK', status: 400 });
    expect(results[3].result.order).toMatchObject({ clientOrderId: 'bid-2', quantity: '0.5' });
    expect(reply.rateLimit.map((u: { policy: string }) => u.policy)).toEqual(['key', 'ip', 'orders-1s']);
  });

  it('refuses more than 20 requests', async () => {
    const c = await loggedIn(maker);
    const requests = Array.from({ length: 21 }, () => ({ op: 'cancelOrder', args: { orderId: '1' } }));
    expect(await c.request('batch', { requests })).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/args/requests' }] });
  });
});
