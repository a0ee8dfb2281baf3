/**
 * Two gateway processes' worth of REST, WebSocket and FIX on one core leading the log, with the
 * shared state in a real Redis and PostgreSQL and the log in a real nats-server: what one gateway
 * takes, the other shows with the same sequence numbers; idempotency by client order id and the
 * order-rate budget are one across gateways; without a leader an order is refused as retryable,
 * and the retry with the same client order id is taken exactly once.
 */
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsTestClient } from '../gateway/ws/client.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { signedFetch, type HmacCredentials } from '../helpers/signing.js';
import { createTrader, newSecretsKey, startTestGateway, type FleetStores, type TestGateway } from './gateway-harness.js';
import { ensureLogStream, startLogWritingLeader, type LogWritingLeader } from './log-writing-leader.js';

let nats: NatsTestCluster;
let nc: NatsConnection;
let leader: LogWritingLeader;
let redis: TestRedisServer;
let database: TestDatabase;
let a: TestGateway;
let b: TestGateway;
let trader: HmacCredentials & { accountId: string };

beforeAll(async () => {
  [nats, redis, database] = await Promise.all([startNatsServer(), startRedisServer(), createTestDatabase()]);
  nc = await nats.connect();
  await ensureLogStream(nc, nats.replicas);
  leader = await startLogWritingLeader(nc);
  const stores: FleetStores = { natsUrl: nats.servers.join(','), redisUrl: redis.url, databaseUrl: database.url, secretsKey: newSecretsKey() };
  const config = { limits: { ...(await import('../../server/src/config/schema.js')).DEFAULT_CONFIG.limits, ordersPerSecond: 1000, ordersPer10Seconds: 6 } };
  // Started together: the configured markets and the operator account are created once, by whichever gets there first.
  [a, b] = await Promise.all([startTestGateway(stores, { config, bus: { leaderWaitMs: 500 } }), startTestGateway(stores, { config, bus: { leaderWaitMs: 500 } })]);
  trader = await createTrader(a, 'fleet-1');
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await leader?.stop();
  await nc?.close();
  await nats?.close();
  await redis?.stop();
  await database?.drop();
});

const order = (clientOrderId: string, price = '100') => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.1', clientOrderId });

describe('gateway processes on one core', () => {
  it('lists the configured markets once, though both gateways started together', () => {
    const adds = [...leader.results.values()].filter((r) => r.events.some((e) => e.type === 'AdminApplied' && e.command.type === 'AddInstrument'));
    expect(adds.length).toBe(a.bus.core.instruments().length);
    expect(b.bus.core.instruments()).toEqual(a.bus.core.instruments());
  });

  it('takes an order on one gateway and shows it on the other: REST, and the WebSocket stream with the same sequence', async () => {
    const ws = await WsTestClient.connect(`ws://127.0.0.1:${a.httpPort}/v1/ws`);
    try {
      expect((await ws.login(trader)).type).toBe('reply');
      const from = (await ws.ok('subscribe', { channel: 'orders' })).result.seq as number;
      const placed = await signedFetch(b.baseUrl, trader, 'POST', '/v1/orders', { body: order('x-1') });
      expect(placed.status).toBe(201);
      const update = await ws.waitFor((f) => f.type === 'orders.update' && f.order.clientOrderId === 'x-1');
      expect(update.seq).toBeGreaterThan(from);
      expect(update.order.orderId).toBe(placed.body.order.orderId);
      // The same event, with the same seq, in both gateways' replicas.
      const seqOn = (g: TestGateway) => g.bus.history.getOrder('fleet-1', { clientOrderId: 'x-1' });
      await eventually(() => expect(seqOn(a)).toEqual(seqOn(b)));
      const read = await signedFetch(a.baseUrl, trader, 'GET', '/v1/orders/by-client-id/x-1');
      expect(read.status).toBe(200);
      expect(read.body.orderId ?? read.body.order?.orderId).toBe(placed.body.order.orderId);
      expect(ws.violations).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('answers a retry on the other gateway with the same order (idempotency by client order id is shared)', async () => {
    const first = await signedFetch(a.baseUrl, trader, 'POST', '/v1/orders', { body: order('x-2', '99') });
    expect(first.status).toBe(201);
    const retry = await signedFetch(b.baseUrl, trader, 'POST', '/v1/orders', { body: order('x-2', '99') });
    expect(retry.body.order.orderId).toBe(first.body.order.orderId);
    const open = b.bus.core.openOrders('fleet-1').filter((o) => o.clientOrderId === 'x-2');
    expect(open).toHaveLength(1);
  });

  it('spends one order-rate budget across gateways', async () => {
    const busy = await createTrader(b, 'fleet-rate');
    // Sent together, half through each gateway: well inside one 10-second window however busy the machine.
    const statuses = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      (await signedFetch((i % 2 === 0 ? a : b).baseUrl, busy, 'POST', '/v1/orders', { body: order(`rate-${i}`, '90') })).status));
    // 6 per 10 seconds per account, over both gateways together: 6 taken, 4 refused.
    expect(statuses.filter((s) => s === 201)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it('refuses an order as retryable (503 SERVICE_UNAVAILABLE) while no leader serves; the retry with the same client order id is taken once', async () => {
    await leader.stop();
    try {
      const refused = await signedFetch(a.baseUrl, trader, 'POST', '/v1/orders', { body: order('x-3', '98') });
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.detail).toMatch(/nothing was changed/);
    } finally {
      leader = await startLogWritingLeader(nc, { term: 2 });
    }
    const retried = await eventually(async () => {
      const r = await signedFetch(b.baseUrl, trader, 'POST', '/v1/orders', { body: order('x-3', '98') });
      expect(r.status).toBe(201);
      return r;
    }, { timeoutMs: 30_000, intervalMs: 1100 });
    await eventually(() => expect(a.bus.core.seq).toBe(leader.core.seq));
    expect(a.bus.core.openOrders('fleet-1').filter((o) => o.clientOrderId === 'x-3').map((o) => o.orderId)).toEqual([retried.body.order.orderId]);
  });
});
