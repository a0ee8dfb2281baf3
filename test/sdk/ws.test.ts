/**
 * The WebSocket client against a real service: signed login with both key types, a local book
 * that equals REST's book after heavy trading and repairs itself after drifting, order entry
 * promises matched by request id, and recovery after the server goes away (restart on the same
 * data and port) or the network path dies silently (a frozen relay).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderUpdate } from '../../generated/asyncapi.js';
import { ApiError, ConnectionError, RestClient, ServerClock, WsClient, type LocalOrderBook, type WsEvents } from '../../sdk/src/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { createEd25519Trader, GENEROUS_LIMITS } from './support/traders.js';

let svc: TestService;
let dataDir: string;
const clients: WsClient[] = [];

const FAST_RECONNECT = { baseMs: 50, maxMs: 400 };

function track(client: WsClient): WsClient {
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sdk-ws-'));
  svc = await startTestService({ dataDir, config: { limits: GENEROUS_LIMITS } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await svc?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves with the first event of `name` that satisfies `match`. */
function nextEvent<E extends keyof WsEvents>(client: WsClient, name: E, match: (payload: WsEvents[E]) => boolean = () => true, timeoutMs = 30_000): Promise<WsEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(name, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Waits until the local book reflects at least `seq`, then compares it with REST's top levels. */
async function expectMirrorEqualsRest(book: LocalOrderBook, rest: RestClient): Promise<void> {
  const restBook = await rest.getOrderBook(book.symbol, book.depth);
  await eventually(() => {
    expect(book.synced).toBe(true);
    expect(book.seq).toBeGreaterThanOrEqual(restBook.seq);
  }, { timeoutMs: 30_000, intervalMs: 10 });
  const levels = (side: { price: string; quantity: string }[]) => side.map((l) => [l.price, l.quantity]);
  expect(book.synced).toBe(true);
  expect({ bids: book.bids, asks: book.asks }).toEqual({ bids: levels(restBook.bids), asks: levels(restBook.asks) });
}

describe('login', () => {
  it('logs in with an HMAC key', async () => {
    const creds = await svc.createTrader('ws-hmac');
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, credentials: creds, cancelOnDisconnect: true }));
    await ws.connect();
    expect(ws.session).toMatchObject({ keyId: creds.keyId, accountId: 'ws-hmac', cancelOnDisconnect: true });
    expect(ws.welcome?.limits.maxBatchRequests).toBeGreaterThan(0);
  });

  it('logs in with an Ed25519 key', async () => {
    const trader = await createEd25519Trader(svc, 'ws-ed');
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, credentials: { keyId: trader.keyId, privateKey: trader.privateKeyPem } }));
    await ws.connect();
    expect(ws.session).toMatchObject({ keyId: trader.keyId, accountId: 'ws-ed' });
  });

  it('recovers from a skewed clock by calibrating on the welcome', async () => {
    const creds = await svc.createTrader('ws-skew');
    const rest = new RestClient({ baseUrl: svc.baseUrl, credentials: creds, clock: new ServerClock(() => Date.now() - 60_000) });
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, signer: rest.signer! }));
    await ws.connect();
    expect(ws.session?.accountId).toBe('ws-skew');
    expect(Math.abs(rest.clock.offsetMs - 60_000)).toBeLessThan(1_000);
  });

  it('gives up on a refused login instead of reconnecting forever', async () => {
    const creds = await svc.createTrader('ws-forged');
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, credentials: { keyId: creds.keyId, secret: Buffer.alloc(32, 1).toString('base64url') }, reconnect: FAST_RECONNECT }));
    const closes: WsEvents['close'][] = [];
    ws.on('close', (e) => closes.push(e));
    const error = await ws.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'AUTH_INVALID', status: 401 });
    expect(closes.every((c) => !c.willReconnect)).toBe(true);
    await expect(ws.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '1.00', quantity: '1' })).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe('order entry', () => {
  it('answers each of many concurrent requests with its own reply, and refusals as ApiError', async () => {
    const creds = await svc.createTrader('ws-orders');
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, credentials: creds }));
    const ids = Array.from({ length: 8 }, (_, i) => `ws-o-${i}`);
    const placed = await Promise.all(
      ids.map((clientOrderId, i) => ws.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: `${300 + i}.00`, quantity: '0.1', clientOrderId })),
    );
    expect(placed.map((r) => r.order.clientOrderId)).toEqual(ids);
    expect(placed.map((r) => r.order.price)).toEqual(ids.map((_, i) => `${300 + i}`));
    const refused = await ws.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '300.001', quantity: '0.1' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ code: 'PRICE_OFF_TICK', status: 400 });
    const amended = await ws.amendOrder({ clientOrderId: 'ws-o-0', price: '299.00' });
    expect(amended.order).toMatchObject({ clientOrderId: 'ws-o-0', price: '299' });
    const canceled = await ws.cancelOrder({ orderId: placed[1]!.order.orderId });
    expect(canceled.order.status).toBe('canceled');
    const batch = await ws.batch([{ op: 'cancelOrder', args: { clientOrderId: 'ws-o-2' } }, { op: 'cancelOrder', args: { clientOrderId: 'no-such' } }]);
    expect(batch.results.map((r) => r.ok)).toEqual([true, false]);
    const all = await ws.cancelAll({ symbol: 'ETH-USD' });
    expect(all.canceled).toHaveLength(6);
  });

  it('streams private order updates in sequence', async () => {
    const creds = await svc.createTrader('ws-private');
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, credentials: creds }));
    const updates: OrderUpdate[] = [];
    ws.on('orders.update', (u) => updates.push(u));
    const sub = await ws.subscribe({ channel: 'orders' });
    expect(sub.seq).toBeGreaterThan(0);
    const placed = await ws.placeOrder({ symbol: 'ETH-USD', side: 'sell', type: 'limit', price: '9000.00', quantity: '0.1' });
    // Stream events may arrive before the reply of the request that caused them: listen first.
    const canceled = nextEvent(ws, 'orders.update', (u) => u.event === 'canceled');
    await ws.cancelOrder({ orderId: placed.order.orderId });
    await canceled;
    expect(updates.map((u) => u.event)).toEqual(['accepted', 'canceled']);
    expect(updates[0]!.seq).toBeGreaterThan(sub.seq!);
    expect(updates[1]!.seq).toBeGreaterThan(updates[0]!.seq);
  });
});

describe('local order book', () => {
  it('equals the REST book after a random run of placements, cancels and trades, without resyncing', async () => {
    const makerCreds = await svc.createTrader('book-maker');
    const maker = new RestClient({ baseUrl: svc.baseUrl, credentials: makerCreds });
    const taker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('book-taker') });
    const ws = track(new WsClient({ baseUrl: svc.baseUrl }));
    const book = await ws.book('BTC-USD', 5);
    const resyncs: unknown[] = [];
    ws.on('book.resync', (e) => resyncs.push(e));

    const action = fc.oneof(
      fc.record({ kind: fc.constant('rest' as const), side: fc.constantFrom('buy' as const, 'sell' as const), tick: fc.integer({ min: 1, max: 12 }), lots: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('take' as const), side: fc.constantFrom('buy' as const, 'sell' as const), lots: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    );
    const actions = fc.sample(action, { numRuns: 60, seed: 4242 });
    const open: string[] = [];
    for (const a of actions) {
      if (a.kind === 'rest') {
        // Bids below 20000, asks above: the resting book never crosses itself.
        const price = a.side === 'buy' ? 20000 - a.tick : 20000 + a.tick;
        const r = await maker.placeOrder({ symbol: 'BTC-USD', side: a.side, type: 'limit', price: `${price}.00`, quantity: `0.0${a.lots}`, timeInForce: 'GTC' });
        open.push(r.order.orderId);
      } else if (a.kind === 'take') {
        await taker.placeOrder({ symbol: 'BTC-USD', side: a.side, type: 'limit', price: a.side === 'buy' ? '20015.00' : '19985.00', quantity: `0.0${a.lots}`, timeInForce: 'IOC' }).catch(() => undefined);
      } else if (open.length > 0) {
        const [orderId] = open.splice(a.pick % open.length, 1);
        await maker.cancelOrder(orderId!).catch(() => undefined);
      }
    }
    // A final change inside the top 5, so the mirror's sequence must reach REST's.
    await maker.placeOrder({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '19999.50', quantity: '0.01', timeInForce: 'GTC' });
    await expectMirrorEqualsRest(book, maker);
    expect(resyncs).toEqual([]);
    expect(book.resyncs).toBe(0);
  });

  it('notices a drifted copy by checksum and resubscribes by itself', async () => {
    const maker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('drift-maker') });
    await maker.placeOrder({ symbol: 'ETH-BTC', side: 'buy', type: 'limit', price: '0.05000', quantity: '1', timeInForce: 'GTC' });
    await maker.placeOrder({ symbol: 'ETH-BTC', side: 'sell', type: 'limit', price: '0.06000', quantity: '1', timeInForce: 'GTC' });
    const ws = track(new WsClient({ baseUrl: svc.baseUrl }));
    const book = await ws.book('ETH-BTC', 10);
    expect(book.bids).toEqual([['0.05', '1']]);
    // Simulate a local bug: the copy loses its best bid.
    book.bids = [];
    const resync = nextEvent(ws, 'book.resync');
    await maker.placeOrder({ symbol: 'ETH-BTC', side: 'buy', type: 'limit', price: '0.05100', quantity: '2', timeInForce: 'GTC' });
    expect(await resync).toEqual({ symbol: 'ETH-BTC', depth: 10, reason: 'checksum' });
    await nextEvent(ws, 'book.snapshot', (s) => s.symbol === 'ETH-BTC');
    await expectMirrorEqualsRest(book, maker);
    expect(book.resyncs).toBe(1);
  });
});

describe('reconnect', () => {
  it('logs in again and restores every subscription after the server drops the socket', async () => {
    const creds = await svc.createTrader('reconnector');
    const rest = new RestClient({ baseUrl: svc.baseUrl, credentials: creds });
    const ws = track(new WsClient({ baseUrl: svc.baseUrl, signer: rest.signer!, reconnect: FAST_RECONNECT }));
    const book = await ws.book('ETH-USD', 10);
    await ws.subscribe({ channel: 'orders' });
    const closes: WsEvents['close'][] = [];
    ws.on('close', (e) => closes.push(e));
    const reopened = nextEvent(ws, 'open', (e) => e.reconnected, 20_000);
    const restored = new Set<string>();
    ws.on('subscribed', (e) => e.restored && restored.add(e.subscription.channel));

    // Restart the service on the same data and port: the server closes every socket (1001).
    const port = svc.httpPort;
    await svc.stop();
    svc = await startTestService({ dataDir, config: { limits: GENEROUS_LIMITS, http: { port } as never } });

    const open = await reopened;
    expect(closes[0]).toMatchObject({ code: 1001, willReconnect: true });
    expect(open.session?.accountId).toBe('reconnector');
    expect(restored).toEqual(new Set(['book', 'orders']));

    const update = nextEvent(ws, 'orders.update', (u) => u.order.clientOrderId === 'after-restart');
    await rest.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '555.00', quantity: '0.2', clientOrderId: 'after-restart' });
    expect((await update).event).toBe('accepted');
    await expectMirrorEqualsRest(book, rest);
    expect(book.bids).toContainEqual(['555', '0.2']);
  });

  it('replaces a connection that went silent (no close, no data) and resubscribes', async () => {
    const relay = await startTcpProxy(svc.httpPort);
    try {
      const ws = track(new WsClient({ url: `ws://127.0.0.1:${relay.port}/v1/ws`, livenessMs: 200, requestTimeoutMs: 2_000, reconnect: FAST_RECONNECT }));
      const book = await ws.book('ETH-USD', 1);
      const reopened = nextEvent(ws, 'open', (e) => e.reconnected);
      relay.freezeAll();
      await reopened;
      expect(relay.accepted).toBe(2);
      const maker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('silent-maker') });
      await maker.placeOrder({ symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '600.00', quantity: '0.3', timeInForce: 'GTC' });
      await expectMirrorEqualsRest(book, maker);
    } finally {
      await relay.close();
    }
  });
});
