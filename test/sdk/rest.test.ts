/**
 * The REST client against a real service: both key types sign, refusals arrive as typed errors,
 * the iterators walk every page, a skewed clock is calibrated, and retries after lost answers
 * neither place an order twice nor report a cancel that happened as a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, RestClient, retryHistory, ServerClock, type OrderRequest, type RetryEvent } from '../../sdk/src/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startFaultyProxy, type FaultyProxy } from './support/faulty-proxy.js';
import { createEd25519Trader, GENEROUS_LIMITS } from './support/traders.js';

let svc: TestService;
let proxy: FaultyProxy;
let alice: RestClient;
let bob: RestClient;

const limit = (price: string, side: 'buy' | 'sell' = 'buy', extra: Partial<OrderRequest> = {}): OrderRequest => ({
  symbol: 'ETH-USD', side, type: 'limit', price, quantity: '0.5', timeInForce: 'GTC', ...extra,
});

beforeAll(async () => {
  svc = await startTestService({ config: { limits: GENEROUS_LIMITS } });
  proxy = await startFaultyProxy(svc.baseUrl);
  alice = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('alice') });
  bob = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('bob') });
});

afterAll(async () => {
  await proxy?.close();
  await svc?.stop();
});

describe('signing', () => {
  it('signs with an HMAC key: private reads and order entry succeed', async () => {
    const balances = await alice.getBalances();
    expect(balances.data.find((b) => b.asset === 'USD')).toMatchObject({ total: '1000000' });
    const placed = await alice.placeOrder(limit('100.00'));
    expect(placed.order).toMatchObject({ status: 'new', price: '100', symbol: 'ETH-USD' });
    expect((await alice.cancelOrder(placed.order.orderId)).status).toBe('canceled');
  });

  it('signs with an Ed25519 key given as PEM, as a KeyObject, and as the raw seed', async () => {
    const trader = await createEd25519Trader(svc, 'edna');
    const seed = trader.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    for (const privateKey of [trader.privateKeyPem, trader.privateKey, new Uint8Array(seed)]) {
      const client = new RestClient({ baseUrl: svc.baseUrl, credentials: { keyId: trader.keyId, privateKey } });
      const account = await client.getAccount();
      expect(account.accountId).toBe('edna');
    }
    const client = new RestClient({ baseUrl: svc.baseUrl, credentials: { keyId: trader.keyId, privateKey: trader.privateKeyPem } });
    const placed = await client.placeOrder(limit('101.00', 'buy', { clientOrderId: 'ed-1' }));
    expect((await client.getOrderByClientId('ed-1')).orderId).toBe(placed.order.orderId);
  });

  it('signs identical requests fired in the same instant with distinct timestamps, so none is a replay', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => alice.listOpenOrders()));
    expect(results).toHaveLength(20);
  });
});

describe('typed errors', () => {
  it('turns a core rejection into an ApiError with status, code, detail and request id', async () => {
    const error = await alice.placeOrder({ ...limit('100.00'), symbol: 'DOGE-USD' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'UNKNOWN_SYMBOL', title: 'Unknown symbol' });
    expect((error as ApiError).detail).toMatch(/DOGE-USD|symbol/i);
    expect((error as ApiError).requestId).toMatch(/\S{8,}/);
  });

  it('reports a missing order as ORDER_NOT_FOUND and validation failures field by field', async () => {
    await expect(alice.getOrder('999999')).rejects.toMatchObject({ status: 404, code: 'ORDER_NOT_FOUND' });
    const invalid = (await alice.listOrders({ limit: 100_000 }).catch((e: unknown) => e)) as ApiError;
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.errors).toEqual(expect.arrayContaining([expect.objectContaining({ location: 'query', path: 'limit' })]));
  });

  it('reports a wrong secret as AUTH_INVALID', async () => {
    const trader = await svc.createTrader('mallory');
    const forged = new RestClient({ baseUrl: svc.baseUrl, credentials: { keyId: trader.keyId, secret: Buffer.alloc(32, 7).toString('base64url') } });
    await expect(forged.getBalances()).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'AUTH_INVALID' });
  });
});

describe('pagination', () => {
  it('walks every page of order history', async () => {
    const trader = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('pager') });
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = await trader.placeOrders(Array.from({ length: 8 }, (_, j) => limit(`${200 + i * 10 + j}.00`)));
      for (const r of batch.results) placed.push(r.order!.orderId);
    }
    const firstPage = await trader.listOrders({ limit: 5 });
    expect(firstPage.data).toHaveLength(5);
    expect(firstPage.nextCursor).not.toBeNull();
    const walked: string[] = [];
    for await (const order of trader.iterateOrders({ limit: 5 })) walked.push(order.orderId);
    expect(walked).toHaveLength(24);
    expect(new Set(walked)).toEqual(new Set(placed));
  });

  it('walks every page of open orders by cursor, oldest first, and still takes a bare symbol', async () => {
    const trader = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('open-pager') });
    const batch = await trader.placeOrders(Array.from({ length: 7 }, (_, i) => limit(`${300 + i}.00`)));
    const placed = batch.results.map((r) => r.order!.orderId);
    await trader.placeOrder({ ...limit('20000.00', 'sell'), symbol: 'BTC-USD', quantity: '0.01' });
    const firstPage = await trader.listOpenOrders({ symbol: 'ETH-USD', limit: 3 });
    expect(firstPage.data.map((o) => o.orderId)).toEqual(placed.slice(0, 3));
    expect(firstPage.nextCursor).not.toBeNull();
    const walked: string[] = [];
    for await (const order of trader.iterateOpenOrders({ symbol: 'ETH-USD', limit: 3 })) walked.push(order.orderId);
    expect(walked).toEqual(placed);
    expect((await trader.listOpenOrders('ETH-USD')).data.map((o) => o.orderId)).toEqual(placed);
    const everything: string[] = [];
    for await (const order of trader.iterateOpenOrders({ limit: 2 })) everything.push(order.orderId);
    expect(everything).toHaveLength(8);
  });

  it('walks every page of fills', async () => {
    const maker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('fill-maker') });
    const taker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('fill-taker') });
    await maker.placeOrders(Array.from({ length: 7 }, (_, i) => ({ symbol: 'BTC-USD', side: 'sell', type: 'limit', price: `${30000 + i}.00`, quantity: '0.01', timeInForce: 'GTC' })));
    const take = await taker.placeOrder({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '30010.00', quantity: '0.07', timeInForce: 'IOC' });
    expect(take.fills).toHaveLength(7);
    const walked = [];
    for await (const fill of taker.iterateFills({ symbol: 'BTC-USD', limit: 2 })) walked.push(fill);
    expect(walked.map((f) => f.tradeId).sort((a, b) => a - b)).toEqual(take.fills.map((f) => f.tradeId).sort((a, b) => a - b));
  });

  it('walks every page of instruments', async () => {
    const symbols = [];
    for await (const instrument of alice.iterateInstruments({ limit: 1 })) symbols.push(instrument.symbol);
    const all = await alice.listInstruments({ limit: 500 });
    expect(all.data.length).toBeGreaterThan(1);
    expect(symbols).toEqual(all.data.map((i) => i.symbol));
  });
});

describe('clock calibration', () => {
  it('measures a skewed local clock against GET /v1/time and signs with the corrected time', async () => {
    const creds = await svc.createTrader('skewed');
    const skewMs = -120_000;
    const client = new RestClient({ baseUrl: svc.baseUrl, credentials: creds, clock: new ServerClock(() => Date.now() + skewMs), autoCalibrate: false });
    await expect(client.getBalances()).rejects.toMatchObject({ code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW' });
    const calibration = await client.calibrateClock();
    expect(Math.abs(calibration.offsetMs + skewMs)).toBeLessThan(1_000);
    expect((await client.getBalances()).data.length).toBeGreaterThan(0);
  });

  it('calibrates by itself when the server refuses a timestamp, and the call then succeeds', async () => {
    const creds = await svc.createTrader('skewed-auto');
    const client = new RestClient({ baseUrl: svc.baseUrl, credentials: creds, clock: new ServerClock(() => Date.now() + 90_000) });
    const placed = await client.placeOrder(limit('99.00', 'buy'));
    expect(placed.order.status).toBe('new');
    expect(Math.abs(client.clock.offsetMs + 90_000)).toBeLessThan(1_000);
  });
});

describe('retries after a lost answer', () => {
  const viaProxy = async (accountId: string, events: RetryEvent[]) =>
    new RestClient({
      baseUrl: proxy.baseUrl,
      credentials: await svc.createTrader(accountId),
      retry: { onRetry: (e) => events.push(e), backoff: { baseMs: 10, maxMs: 50 } },
    });

  it('re-sends a placement with a client order id and gets the original order, placed once', async () => {
    const events: RetryEvent[] = [];
    const client = await viaProxy('retry-place', events);
    proxy.failNext('POST', '/v1/orders', 'bad-gateway');
    const result = await client.placeOrder(limit('150.00', 'buy', { clientOrderId: 'once-1' }));
    const posts = proxy.forwarded.filter((f) => f.method === 'POST' && f.body.includes('once-1'));
    expect(posts).toHaveLength(2);
    expect(posts[0]!.fault).toBe('bad-gateway');
    expect(JSON.parse(posts[0]!.responseBody).order.orderId).toBe(result.order.orderId);
    expect(events).toEqual([expect.objectContaining({ kind: 'ambiguous', status: 502, attempt: 1 })]);
    const open = await client.listOpenOrders('ETH-USD');
    expect(open.data.filter((o) => o.clientOrderId === 'once-1')).toHaveLength(1);
  });

  it('re-sends after a dropped connection too (the network error path)', async () => {
    const events: RetryEvent[] = [];
    const client = await viaProxy('retry-drop', events);
    proxy.failNext('POST', '/v1/orders', 'drop');
    const result = await client.placeOrder(limit('151.00', 'buy', { clientOrderId: 'once-2' }));
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeDefined();
    const open = await client.listOpenOrders('ETH-USD');
    expect(open.data.filter((o) => o.clientOrderId === 'once-2').map((o) => o.orderId)).toEqual([result.order.orderId]);
  });

  it('does not re-send a placement without a client order id: the ambiguity reaches the caller', async () => {
    const events: RetryEvent[] = [];
    const client = await viaProxy('no-retry', events);
    proxy.failNext('POST', '/v1/orders', 'bad-gateway');
    await expect(client.placeOrder(limit('152.00'))).rejects.toMatchObject({ status: 502 });
    expect(events).toEqual([]);
    // The server did act on the one request sent: exactly one order, never two.
    expect((await client.listOpenOrders('ETH-USD')).data).toHaveLength(1);
  });

  it('resolves a retried cancel whose first attempt did cancel: the order comes back canceled', async () => {
    const events: RetryEvent[] = [];
    const client = await viaProxy('retry-cancel', events);
    const placed = await client.placeOrder(limit('153.00'));
    proxy.failNext('DELETE', `/v1/orders/${placed.order.orderId}`, 'bad-gateway');
    const canceled = await client.cancelOrder(placed.order.orderId);
    expect(canceled).toMatchObject({ orderId: placed.order.orderId, status: 'canceled' });
    expect(events).toHaveLength(1);
    const deletes = proxy.forwarded.filter((f) => f.method === 'DELETE' && f.url === `/v1/orders/${placed.order.orderId}`);
    expect(deletes.map((d) => d.status)).toEqual([200, 404]);
  });

  it('leaves ORDER_NOT_FOUND alone when no earlier attempt was ambiguous', async () => {
    const { response } = await alice.raw.GET('/v1/orders/open');
    expect(retryHistory(response)).toBeUndefined();
    await expect(alice.cancelOrder('424242')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});
