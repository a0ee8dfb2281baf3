import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials } from '../../helpers/signing.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { eventually } from '../../helpers/eventually.js';

// The happy path of every private operation, and its documented errors, through real HTTP with
// real signatures and response validation on.
let svc: TestService;
let alice: Credentials & { accountId: string };
let bob: Credentials & { accountId: string };
const as = (c: Credentials) => (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  signedFetch(svc.baseUrl, c, method, path, { ...(body !== undefined && { body }), ...(headers && { headers }) });

beforeAll(async () => {
  svc = await startTestService({ config: { limits: { keyWeightPerSecond: 10_000, ipWeightPerSecond: 10_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 } } });
  alice = await svc.createTrader('alice');
  bob = await svc.createTrader('bob');
});
afterAll(async () => {
  await svc.stop();
});

describe('placing, matching and querying orders', () => {
  it('places a resting limit order and reports it with its hold', async () => {
    const res = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000.00', quantity: '0.5', clientOrderId: 'a-1' });
    expect(res.status).toBe(201);
    expect(res.body.order).toMatchObject({ symbol: 'BTC-USD', side: 'buy', type: 'limit', status: 'new', price: '20000', quantity: '0.5', clientOrderId: 'a-1', remainingQuantity: '0.5' });
    expect(res.body.fills).toEqual([]);
    expect(res.headers.get('ratelimit')).toMatch(/"key";r=\d+/);
    const balances = await as(alice)('GET', '/v1/balances');
    const usd = balances.body.data.find((b: { asset: string }) => b.asset === 'USD');
    expect(usd).toMatchObject({ total: '1000000', hold: '10000', available: '990000' });
  });

  it('matches a crossing order at the maker price and reports both sides', async () => {
    const res = await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '19999.00', quantity: '0.2', timeInForce: 'IOC' });
    expect(res.status).toBe(201);
    expect(res.body.order).toMatchObject({ status: 'filled', filledQuantity: '0.2' });
    expect(res.body.fills).toHaveLength(1);
    expect(res.body.fills[0]).toMatchObject({ price: '20000', quantity: '0.2', liquidity: 'taker', side: 'sell' });
    const mine = await as(alice)('GET', '/v1/orders/by-client-id/a-1');
    expect(mine.body).toMatchObject({ status: 'partially_filled', filledQuantity: '0.2', remainingQuantity: '0.3' });
    const fills = await as(alice)('GET', '/v1/fills');
    expect(fills.status).toBe(200);
    expect(fills.body.data[0]).toMatchObject({ liquidity: 'maker', price: '20000', quantity: '0.2', side: 'buy' });
    const positions = await as(alice)('GET', '/v1/positions');
    // Bought at the last trade price: marked there, nothing unrealized yet.
    expect(positions.body.data).toContainEqual({ symbol: 'BTC-USD', netQuantity: '0.2', averageEntryPrice: '20000', realizedPnl: '0', lastPrice: '20000', unrealizedPnl: '0' });
    const book = await fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/book?depth=5`).then((r) => r.json() as Promise<any>);
    expect(book.bids[0]).toEqual({ price: '20000', quantity: '0.3', orders: 1 });
    const trades = await fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/trades`).then((r) => r.json() as Promise<any>);
    expect(trades.data[0]).toMatchObject({ price: '20000', quantity: '0.2', takerSide: 'sell' });
    const tickers = await fetch(`${svc.baseUrl}/v1/tickers?symbol=BTC-USD`).then((r) => r.json() as Promise<any>);
    expect(tickers.data[0]).toMatchObject({ symbol: 'BTC-USD', last: '20000', volume: '0.2', bestBid: '20000' });
    const candles = await fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/candles?interval=1m`).then((r) => r.json() as Promise<any>);
    expect(candles.data).toHaveLength(1);
    expect(candles.data[0]).toMatchObject({ open: '20000', close: '20000', volume: '0.2', trades: 1 });
  });

  it('amends: reducing quantity, then moving the price', async () => {
    const reduced = await as(alice)('PATCH', '/v1/orders/by-client-id/a-1', { quantity: '0.4' });
    expect(reduced.status).toBe(200);
    expect(reduced.body.order).toMatchObject({ quantity: '0.4', remainingQuantity: '0.2' });
    const moved = await as(alice)('PATCH', `/v1/orders/${reduced.body.order.orderId}`, { price: '19990.00' });
    expect(moved.status).toBe(200);
    expect(moved.body.order.price).toBe('19990');
  });

  it('amends a resting order to a crossing price: it trades as a taker and the reply is that order', async () => {
    expect((await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '20500.00', quantity: '0.01' })).status).toBe(201);
    const resting = await as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '19500.00', quantity: '0.01', clientOrderId: 'cross-1' });
    const crossed = await as(alice)('PATCH', '/v1/orders/by-client-id/cross-1', { price: '20500.00' });
    expect(crossed.status).toBe(200);
    expect(crossed.body.order).toMatchObject({ orderId: resting.body.order.orderId, clientOrderId: 'cross-1', status: 'filled', filledQuantity: '0.01' });
    expect(crossed.body.fills).toEqual([expect.objectContaining({ orderId: resting.body.order.orderId, liquidity: 'taker', price: '20500' })]);
  });

  it('lists open orders and order history with filters and cursors', async () => {
    for (let i = 0; i < 3; i++) await as(alice)('POST', '/v1/orders', { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: `100${i}.00`, quantity: '1' });
    const open = await as(alice)('GET', '/v1/orders/open?symbol=ETH-USD');
    expect(open.body.data).toHaveLength(3);
    const first = await as(alice)('GET', '/v1/orders?symbol=ETH-USD&limit=2');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await as(alice)('GET', `/v1/orders?symbol=ETH-USD&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((o: { orderId: string }) => o.orderId);
    expect(new Set(ids).size).toBe(3);
  });

  it('cancels by id and by client id, and cancels all per symbol', async () => {
    const placed = await as(alice)('POST', '/v1/orders', { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '900.00', quantity: '1', clientOrderId: 'c-9' });
    const byClient = await as(alice)('DELETE', '/v1/orders/by-client-id/c-9');
    expect(byClient.body).toMatchObject({ orderId: placed.body.order.orderId, status: 'canceled' });
    const all = await as(alice)('DELETE', '/v1/orders?symbol=ETH-USD');
    expect(all.status).toBe(200);
    expect(all.body.canceled).toHaveLength(3);
    expect((await as(alice)('GET', '/v1/orders/open?symbol=ETH-USD')).body.data).toEqual([]);
    const byId = await as(alice)('DELETE', `/v1/orders/${(await as(alice)('GET', '/v1/orders/by-client-id/a-1')).body.orderId}`);
    expect(byId.body.status).toBe('canceled');
    const closed = await as(alice)('GET', '/v1/orders?status=canceled');
    expect(closed.body.data.length).toBeGreaterThanOrEqual(5);
  });

  it('places a batch where each order stands alone', async () => {
    const res = await as(alice)('POST', '/v1/orders/batch', {
      orders: [
        { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '500.00', quantity: '1' },
        { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '500.005', quantity: '1' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ ok: true, order: { status: 'new' } });
    expect(res.body.results[1]).toMatchObject({ ok: false, error: { code: 'PRICE_OFF_TICK', status: 400 } });
  });
});

describe('idempotency', () => {
  it('returns the original answer for a retried client order id, and a conflict for a different body', async () => {
    const order = { symbol: 'ETH-USD', side: 'sell', type: 'limit', price: '5000.00', quantity: '1', clientOrderId: 'retry-1' };
    const first = await as(alice)('POST', '/v1/orders', order);
    const again = await as(alice)('POST', '/v1/orders', order);
    expect(again.status).toBe(201);
    expect(again.body.order.orderId).toBe(first.body.order.orderId);
    expect((await as(alice)('GET', '/v1/orders/open?symbol=ETH-USD')).body.data.filter((o: { clientOrderId?: string }) => o.clientOrderId === 'retry-1')).toHaveLength(1);
    const changed = await as(alice)('POST', '/v1/orders', { ...order, price: '5001.00' });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('de-duplicates an Idempotency-Key on cancel-all', async () => {
    expect((await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '21000.00', quantity: '0.01' })).status).toBe(201);
    const first = await as(bob)('DELETE', '/v1/orders', undefined, { 'Idempotency-Key': 'ca-1' });
    expect(first.body.canceled).toHaveLength(1);
    expect((await as(bob)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '21000.00', quantity: '0.01' })).status).toBe(201);
    const replay = await as(bob)('DELETE', '/v1/orders', undefined, { 'Idempotency-Key': 'ca-1' });
    expect(replay.body).toEqual(first.body);
    expect((await as(bob)('GET', '/v1/orders/open')).body.data).toHaveLength(1);
  });
});

describe('trading errors', () => {
  const place = (body: Record<string, unknown>) => as(alice)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000.00', quantity: '0.1', ...body });
  it.each([
    [{ price: '20000.001' }, 400, 'PRICE_OFF_TICK'],
    [{ quantity: '0.000001' }, 400, 'QUANTITY_OFF_LOT'],
    [{ quantity: '5000' }, 400, 'QUANTITY_TOO_LARGE'],
    [{ symbol: 'DOGE-USD' }, 400, 'UNKNOWN_SYMBOL'],
    [{ quantity: '-1' }, 400, 'VALIDATION_FAILED'],
    [{ price: '1e5' }, 400, 'VALIDATION_FAILED'],
    [{ price: 20000 }, 400, 'VALIDATION_FAILED'],
    [{ quantity: '0.1234567890123456789' }, 400, 'VALIDATION_FAILED'],
    [{ leverage: '10' }, 400, 'VALIDATION_FAILED'],
    [{ quantity: '900' }, 422, 'INSUFFICIENT_FUNDS'],
  ])('%j → %i %s', async (change, status, code) => {
    const res = await place(change);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('reports a duplicate live client order id with a different body as a conflict', async () => {
    expect((await place({ clientOrderId: 'dup-1', price: '19100.00' })).status).toBe(201);
    const res = await place({ clientOrderId: 'dup-1', price: '19101.00' });
    expect(res.status).toBe(409);
  });

  it('hides another account\'s order behind "not found"', async () => {
    const mine = await place({ price: '19500.00' });
    expect(mine.status).toBe(201);
    for (const [method, path] of [['GET', `/v1/orders/${mine.body.order.orderId}`], ['DELETE', `/v1/orders/${mine.body.order.orderId}`]] as const) {
      const theirs = await as(bob)(method, path);
      expect(theirs.status).toBe(404);
      expect(theirs.body.code).toBe('ORDER_NOT_FOUND');
    }
    const missing = await as(bob)('GET', '/v1/orders/999999999');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('says when an order to cancel or amend is finished, but only to its own account', async () => {
    const mine = await place({ price: '19400.00', clientOrderId: 'finished-1' });
    const path = `/v1/orders/${mine.body.order.orderId}`;
    expect((await as(alice)('DELETE', path)).status).toBe(200);
    for (const [method, target, body] of [['DELETE', path, undefined], ['DELETE', '/v1/orders/by-client-id/finished-1', undefined], ['PATCH', path, { price: '19401.00' }]] as const) {
      const again = await as(alice)(method, target, body);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ code: 'ORDER_NOT_FOUND', detail: 'The order is no longer open: it is canceled.' });
    }
    // To anyone else it is indistinguishable from an order that never existed.
    const theirs = await as(bob)('DELETE', path);
    const never = await as(bob)('DELETE', '/v1/orders/999999998');
    expect(theirs.status).toBe(404);
    expect(theirs.body.detail).toBe(never.body.detail);
  });

  it('rejects a post-only order that would cross', async () => {
    await as(bob)('POST', '/v1/orders', { symbol: 'ETH-BTC', side: 'sell', type: 'limit', price: '0.05000', quantity: '1' });
    const res = await as(alice)('POST', '/v1/orders', { symbol: 'ETH-BTC', side: 'buy', type: 'limit', price: '0.05000', quantity: '1', postOnly: true });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('POST_ONLY_WOULD_CROSS');
  });
});

describe('account, keys and the dead-man switch', () => {
  it('reports fee schedule, limits and usage', async () => {
    const res = await as(alice)('GET', '/v1/account');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accountId: 'alice', killSwitch: false, feeSchedule: { makerBps: expect.any(Number), takerBps: expect.any(Number) } });
    expect(res.body.rateLimits.map((r: { policy: string }) => r.policy)).toEqual(expect.arrayContaining(['key', 'ip', 'orders-1s', 'orders-10s']));
  });

  it('creates, lists and revokes a key; the secret is shown once and the revoked key stops working', async () => {
    const created = await as(alice)('POST', '/v1/api-keys', { label: 'bot', scopes: ['read'] });
    expect(created.status).toBe(201);
    expect(created.body.secret).toEqual(expect.any(String));
    const bot = { keyId: created.body.key.keyId, secret: created.body.secret };
    expect((await as(bot)('GET', '/v1/balances')).status).toBe(200);
    expect((await as(bot)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '1.00', quantity: '1' })).body.code).toBe('AUTH_SCOPE_MISSING');
    const list = await as(alice)('GET', '/v1/api-keys');
    expect(list.body.data.map((k: { keyId: string }) => k.keyId)).toContain(bot.keyId);
    expect(JSON.stringify(list.body)).not.toContain(bot.secret);
    const revoked = await as(alice)('DELETE', `/v1/api-keys/${bot.keyId}`);
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    expect((await as(bot)('GET', '/v1/balances')).body.code).toBe('AUTH_INVALID');
    expect((await as(bob)('DELETE', `/v1/api-keys/${alice.keyId}`)).status).toBe(404);
  });

  it('cannot create a key with more scopes than its own', async () => {
    const reader = await as(alice)('POST', '/v1/api-keys', { label: 'r', scopes: ['read'] });
    const readerCreds = { keyId: reader.body.key.keyId, secret: reader.body.secret };
    // A read key cannot call createApiKey at all (it needs trade), so escalation is impossible.
    expect((await as(readerCreds)('POST', '/v1/api-keys', { label: 'x', scopes: ['trade'] })).status).toBe(403);
  });

  it('arms the dead-man switch, which cancels all orders when it expires', async () => {
    const carol = await svc.createTrader('carol');
    expect((await as(carol)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '19000.00', quantity: '0.01' })).status).toBe(201);
    expect((await as(carol)('GET', '/v1/orders/open')).body.data).toHaveLength(1);
    // Armed for long enough that reading it back cannot race its expiry on a busy machine...
    const armed = await as(carol)('PUT', '/v1/dead-man-switch', { timeoutSeconds: 600 });
    expect(armed.body).toMatchObject({ armed: true, timeoutSeconds: 600 });
    expect((await as(carol)('GET', '/v1/dead-man-switch')).body).toMatchObject({ armed: true, timeoutSeconds: 600 });
    // ...then re-armed with a short timeout, which replaces the long one and fires.
    expect((await as(carol)('PUT', '/v1/dead-man-switch', { timeoutSeconds: 1 })).body).toMatchObject({ armed: true, timeoutSeconds: 1 });
    await eventually(async () => expect((await as(carol)('GET', '/v1/orders/open')).body.data).toEqual([]));
    // The switch disarms once its cancel is durable, which can be a commit after the cancel is visible.
    await eventually(async () => expect((await as(carol)('GET', '/v1/dead-man-switch')).body.armed).toBe(false));
  });
});

describe('operator API', () => {
  it('needs operator scope', async () => {
    const res = await as(alice)('POST', '/v1/operator/accounts', { accountId: 'mallory' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('AUTH_SCOPE_MISSING');
  });

  it('withdraws, sets fees, and refuses an overdraft', async () => {
    const w = await svc.asOperator('POST', '/v1/operator/accounts/bob/withdrawals', { body: { asset: 'ETH', amount: '1' } });
    expect(w.status).toBe(200);
    expect(w.body.asset).toBe('ETH');
    const over = await svc.asOperator('POST', '/v1/operator/accounts/bob/withdrawals', { body: { asset: 'ETH', amount: '1000000' } });
    expect(over.body.code).toBe('INSUFFICIENT_FUNDS');
    const fees = await svc.asOperator('PUT', '/v1/operator/accounts/bob/fee-schedule', { body: { makerBps: 1, takerBps: 5 } });
    expect(fees.status, JSON.stringify(fees.body)).toBe(200);
    expect(fees.body.feeSchedule).toEqual({ makerBps: 1, takerBps: 5 });
    expect((await svc.asOperator('POST', '/v1/operator/accounts/nobody/deposits', { body: { asset: 'USD', amount: '1' } })).status).toBe(404);
    expect((await svc.asOperator('POST', '/v1/operator/accounts', { body: { accountId: 'bob' } })).status).toBe(409);
  });

  it('activates a kill switch that cancels everything and blocks new orders', async () => {
    const dave = await svc.createTrader('dave');
    expect((await as(dave)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '19000.00', quantity: '0.01' })).status).toBe(201);
    const kill = await svc.asOperator('PUT', '/v1/operator/accounts/dave/kill-switch', { body: { active: true } });
    expect(kill.body).toEqual({ accountId: 'dave', killSwitch: true, canceled: 1 });
    const blocked = await as(dave)('POST', '/v1/orders', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '19000.00', quantity: '0.01' });
    expect(blocked.body.code).toBe('KILL_SWITCH_ACTIVE');
  });

  it('lists an instrument and halts it', async () => {
    const added = await svc.asOperator('POST', '/v1/operator/instruments', {
      body: { symbol: 'SOL-USD', base: 'SOL', quote: 'USD', tickSize: '0.001', lotSize: '0.01', minQuantity: '0.01', maxQuantity: '100000', minNotional: '1', priceBandBps: 1500, baseDecimals: 8 },
    });
    expect(added.status).toBe(201);
    const listed = await fetch(`${svc.baseUrl}/v1/instruments`).then((r) => r.json() as Promise<any>);
    expect(listed.data.map((i: { symbol: string }) => i.symbol)).toContain('SOL-USD');
    const halted = await svc.asOperator('PATCH', '/v1/operator/instruments/SOL-USD', { body: { status: 'halted' } });
    expect(halted.body.status).toBe('halted');
    const refused = await as(alice)('POST', '/v1/orders', { symbol: 'SOL-USD', side: 'buy', type: 'limit', price: '1.000', quantity: '1' });
    expect(refused.body.code).toBe('INSTRUMENT_HALTED');
  });
});
