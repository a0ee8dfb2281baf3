/**
 * Limits over real sockets: the shared request-weight and order-rate budgets, the flood close,
 * connections per IP, frame size, subscriptions per connection, ping/pong heartbeats, the idle
 * timeout and unreadable frames.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { ClientPool, type WsTestClient } from './client.js';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';

const harnesses: Harness[] = [];
const pool = new ClientPool();

async function harness(options: HarnessOptions): Promise<Harness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

const connect = (h: Harness, options?: WebSocket.ClientOptions) => pool.connect(h.url, options);

/**
 * Resolves (to undefined) when the server next pings the client; fails after a bound for a ping
 * that never comes, and stays pending if the connection closes first.
 */
const nextPing = (c: WsTestClient, timeoutMs = 30_000): Promise<undefined> => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ping within ${timeoutMs} ms`)), timeoutMs);
  c.ws.once('ping', () => {
    clearTimeout(timer);
    resolve(undefined);
  });
  c.ws.once('close', () => clearTimeout(timer));
});

/**
 * Ping rounds on the sweep's manual clock (a ping falls due, and an unanswered one is judged, only
 * when the test moves it, so a slow event loop cannot make a pong late) until `deaf` is closed, at
 * most two: its last request answered any ping it had before, so judging it can take one more
 * round. In each, `live` is pinged and answers; its request after the pong reaches the server
 * behind it, so no round finds it silent. Resolves to how `deaf` was closed (undefined: it was not).
 */
async function pingRounds(clock: ManualClock, intervalMs: number, live: WsTestClient, deaf: WsTestClient): Promise<{ code: number; reason: string } | undefined> {
  let closed: { code: number; reason: string } | undefined;
  for (let round = 0; round < 2 && closed === undefined; round++) {
    const livePinged = nextPing(live);
    const outcome = Promise.race([deaf.closed, nextPing(deaf)]);
    clock.advance(intervalMs);
    closed = await outcome;
    await livePinged;
    expect((await live.request('ping')).type).toBe('reply');
  }
  return closed;
}

afterEach(async () => {
  expect(pool.release()).toEqual([]);
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** A token bucket refilled over 10 s: one unit per 10 s / quota. */
const policy = (name: string, scope: 'key' | 'ip' | 'account', quota: number) => ({ name, scope, quota, windowSeconds: 10, description: 'test' });

describe('rate limits', () => {
  it('refuses requests over the key budget with RATE_LIMITED, Retry-After and the usage, then admits them once a unit is back', async () => {
    // The limiters read this clock, so no unit comes back while the requests run, however slowly.
    const clock = { now: Date.now() };
    const h = await harness({ requestPolicies: [policy('key', 'key', 10), policy('ip', 'ip', 1000)], clock: () => clock.now });
    const trader = await h.trader('r1');
    const c = await connect(h);
    await c.login(trader);
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await c.request('ping'));
    expect(answers.slice(0, 10).every((a) => a.type === 'reply')).toBe(true);
    expect(answers[9]!.rateLimit).toContainEqual(expect.objectContaining({ policy: 'key', limit: 10, remaining: 0 }));
    expect(answers[10]).toMatchObject({ type: 'error', op: 'ping', code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 1 });
    expect(answers[10]!.rateLimit).toContainEqual(expect.objectContaining({ policy: 'key', remaining: 0 }));
    clock.now += 999;
    expect(await c.request('ping')).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    clock.now += 1;
    expect((await c.request('ping')).type).toBe('reply');
  });

  it('charges an anonymous connection to its IP', async () => {
    const now = Date.now();
    const h = await harness({ requestPolicies: [policy('key', 'key', 1000), policy('ip', 'ip', 10)], clock: () => now });
    const c = await connect(h);
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await c.request('ping'));
    expect(answers.filter((a) => a.type === 'error').map((a) => a.code)).toEqual(['RATE_LIMITED']);
    expect(answers[0]!.rateLimit.map((u: { policy: string }) => u.policy)).toEqual(['ip']);
  });

  it('closes a connection that keeps sending after being refused (4005)', async () => {
    // A stopped clock: the burst is inside one refusal window, however long it takes to arrive.
    const now = Date.now();
    const h = await harness({ requestPolicies: [policy('key', 'key', 1000), policy('ip', 'ip', 10)], config: { maxRefusedPerSecond: 5 }, clock: () => now });
    const c = await connect(h);
    for (let i = 0; i < 30; i++) c.send({ id: i, op: 'ping' });
    expect(await c.closed).toEqual({ code: 4005, reason: 'too many requests refused for rate limiting' });
    expect(c.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED')).toHaveLength(5);
  });

  it('spends the account order-rate budget on new orders but never on cancels', async () => {
    const now = Date.now();
    const h = await harness({ orderPolicies: [policy('orders-1s', 'account', 2)], clock: () => now });
    const trader = await h.trader('r2');
    const c = await connect(h);
    await c.login(trader);
    const order = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000', quantity: '0.01', timeInForce: 'GTC' };
    const first = await c.ok('placeOrder', order);
    await c.ok('placeOrder', order);
    const third = await c.request('placeOrder', order);
    expect(third).toMatchObject({ type: 'error', code: 'RATE_LIMITED', status: 429 });
    expect(third.message).toContain('orders-1s');
    expect((await c.request('cancelOrder', { orderId: first.result.order.orderId })).type).toBe('reply');
  });
});

describe('connection limits', () => {
  it('refuses an upgrade over the per-IP limit with HTTP 429 and a problem body, and admits again once one closes', async () => {
    const h = await harness({ config: { maxConnectionsPerIp: 3 } });
    const open = [await connect(h), await connect(h), await connect(h)];
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(h.url);
      ws.on('open', () => reject(new Error('the fourth connection was accepted')));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'WS_TOO_MANY_CONNECTIONS', status: 429 });
    open[0]!.close();
    await open[0]!.closed;
    // The server counts the close when its own close event runs, which may come after the client's.
    await eventually(() => expect(h.gateway.metrics.connectionsOpen).toBe(2));
    expect((await connect(h)).frames[0]!.type).toBe('welcome');
  });

  it('refuses upgrades on other paths with 404', async () => {
    const h = await harness({});
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(h.url.replace('/v1/ws', '/v2/ws'));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(404);
  });

  it('closes a connection that sends a frame over maxFrameBytes (1009)', async () => {
    const h = await harness({ config: { maxFrameBytes: 1024 } });
    const c = await connect(h);
    expect(c.frames[0]!.limits.maxFrameBytes).toBe(1024);
    c.send({ id: 1, op: 'ping', args: {}, padding: 'x'.repeat(2000) });
    expect((await c.closed).code).toBe(1009);
  });

  it('allows at most maxSubscriptions subscriptions per connection', async () => {
    const h = await harness({ config: { maxSubscriptions: 2 } });
    const c = await connect(h);
    await c.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    await c.ok('subscribe', { channel: 'ticker', symbol: 'BTC-USD' });
    expect(await c.request('subscribe', { channel: 'trades', symbol: 'ETH-USD' })).toMatchObject({ code: 'WS_TOO_MANY_SUBSCRIPTIONS', status: 429 });
    await c.ok('unsubscribe', { channel: 'ticker', symbol: 'BTC-USD' });
    await c.ok('subscribe', { channel: 'trades', symbol: 'ETH-USD' });
  });
});

describe('heartbeats and idle connections', () => {
  it('closes a connection that stops answering pings (4002) and keeps one that answers', async () => {
    const clock = new ManualClock(0);
    const h = await harness({ config: { pingIntervalMs: 1000 }, monotonicClock: () => clock.now() });
    const deaf = await connect(h, { autoPong: false });
    const healthy = await connect(h);
    await healthy.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    await deaf.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    expect(await pingRounds(clock, 1000, healthy, deaf)).toEqual({ code: 4002, reason: 'no pong to the previous ping' });
    // A later deaf connection is judged the same way while the healthy one is kept again.
    const laterDeaf = await connect(h, { autoPong: false });
    await laterDeaf.ok('subscribe', { channel: 'trades', symbol: 'BTC-USD' });
    expect((await pingRounds(clock, 1000, healthy, laterDeaf))?.code).toBe(4002);
  });

  it('sweeps order-entry connections too: a logged-in private subscriber that stops answering pings is closed (4002) and its orders canceled', async () => {
    const clock = new ManualClock(0);
    const h = await harness({ config: { pingIntervalMs: 1000 }, monotonicClock: () => clock.now() });
    const trader = await h.trader('swept');
    const deaf = await connect(h, { autoPong: false });
    const live = await connect(h);
    await deaf.login(trader, { cancelOnDisconnect: true });
    await deaf.ok('subscribe', { channel: 'orders' });
    const orderId = (await deaf.ok('placeOrder', { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100', quantity: '0.01', timeInForce: 'GTC' })).result.order.orderId as string;
    await live.login(trader);
    const seen = live.frames.length;
    await live.ok('subscribe', { channel: 'orders' });

    expect(await pingRounds(clock, 1000, live, deaf)).toEqual({ code: 4002, reason: 'no pong to the previous ping' });
    // Cancel-on-disconnect ran, and the account's other private subscriber, still connected, is told.
    await live.waitFor((f) => f.type === 'orders.update' && f.order.orderId === orderId && f.order.status === 'canceled', { from: seen });
    expect(h.bus.core.order(trader.accountId, { orderId })?.status).toBe('canceled');
  });

  it('closes a connection with no subscription and no request for idleTimeoutMs (4003), but not a subscribed one', async () => {
    const h = await harness({ config: { idleTimeoutMs: 500 } });
    const subscribed = await connect(h);
    await subscribed.ok('subscribe', { channel: 'ticker', symbol: 'BTC-USD' });
    const idle = await connect(h);
    expect(await idle.closed).toEqual({ code: 4003, reason: 'idle' });
    // A connection opened after the subscription is closed as idle by a check that comes at least
    // idleTimeoutMs after the subscribed one's last request, so that check would have closed it too.
    const laterIdle = await connect(h);
    expect((await laterIdle.closed).code).toBe(4003);
    expect((await subscribed.request('ping')).type).toBe('reply');
  });
});

describe('unreadable frames', () => {
  it('answers invalid JSON and binary frames with MALFORMED_JSON and no id', async () => {
    const h = await harness({});
    const c = await connect(h);
    c.send('{"id": 1, "op": "ping"');
    expect(await c.waitFor((f) => f.type === 'error')).toMatchObject({ id: null, code: 'MALFORMED_JSON', status: 400 });
    const from = c.frames.length;
    c.ws.send(Buffer.from('{"id":2,"op":"ping"}'), { binary: true });
    expect(await c.waitFor((f) => f.type === 'error', { from })).toMatchObject({ id: null, code: 'MALFORMED_JSON' });
    expect((await c.request('ping')).type).toBe('reply');
  });
});
