/**
 * Chaos for gateway processes: two real gateway processes (gateway-main.ts) on a core node
 * process, a real nats-server, Redis and PostgreSQL. One gateway is killed with SIGKILL while
 * orders flow through the other. Its WebSocket client reconnects to the other gateway and
 * resumes its private stream by sequence (the documented resubscribe: a snapshot at `seq`, then
 * every event after it); its FIX session logs on at the other gateway once the dead one's session
 * lease lapses, with both sides' sequence numbers carried on from PostgreSQL, and learns every
 * fill of its orders, the ones made while it was logged on nowhere included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field, FixMessage } from '../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { FixClient, type TestKey } from '../gateway/fix/harness.js';
import { WsTestClient, type Frame } from '../gateway/ws/client.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { signedFetch, type HmacCredentials } from '../helpers/signing.js';
import { createTrader, newSecretsKey, type FleetStores } from './gateway-harness.js';
import { startCoreProcess, type CoreProcess } from './support/core-process.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

const WAIT = { timeoutMs: 120_000, intervalMs: 100 };
/** Generous order-rate budgets: the flow is bounded by acknowledgements, not refused by limits. */
// The order flow is not paced: on a fast machine it would meet the request-weight budgets (per key,
// and per IP, which every client here shares), which are not what this test is about.
const CONFIG = { limits: { keyWeightPerSecond: 1_000_000, ipWeightPerSecond: 1_000_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 } };
const SENDER = 'CHAOS1';

let nats: NatsTestCluster;
let redis: TestRedisServer;
let database: TestDatabase;
let core: CoreProcess | undefined;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  [nats, redis, database] = await Promise.all([startNatsServer(), startRedisServer(), createTestDatabase()]);
  core = startCoreProcess({ nodeId: 'gw-chaos-core', servers: nats.servers, shard: 0, replicas: nats.replicas });
  await eventually(() => expect(core!.role).toBe('leader'), WAIT);
}, 180_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await core?.signal('SIGKILL');
  await nats?.close();
  await redis?.stop();
  await database?.drop();
});

/** What a client holds of its orders stream: the orders by id, and the seq it has applied up to. */
interface OrdersView { seq: number; orders: Map<string, Record<string, unknown>>; applied: number[] }

/**
 * Applies one connection's orders frames as the WebSocket guide says: a snapshot replaces the view
 * unless the view is already past it; an update is applied only if its seq is past the view's.
 * Returns the update seqs the connection sent, to check they only grow.
 */
function applyOrderFrames(view: OrdersView, frames: readonly Frame[]): number[] {
  const sent: number[] = [];
  for (const frame of frames) {
    if (frame.type === 'orders.snapshot') {
      if (frame.seq >= view.seq) {
        view.orders = new Map((frame.orders as Record<string, unknown>[]).map((o) => [o.orderId as string, o]));
        view.seq = frame.seq;
      }
    } else if (frame.type === 'orders.update') {
      sent.push(frame.seq);
      if (frame.seq <= view.seq) continue;
      view.orders.set(frame.order.orderId, frame.order);
      view.seq = frame.seq;
      view.applied.push(frame.seq);
    }
  }
  return sent;
}

const openOf = (view: OrdersView) =>
  [...view.orders.values()].filter((o) => o.status === 'new' || o.status === 'partially_filled')
    .map((o) => ({ orderId: o.orderId, status: o.status, filledQuantity: o.filledQuantity })).sort((x, y) => String(x.orderId).localeCompare(String(y.orderId)));

async function subscribeOrders(url: string, trader: HmacCredentials): Promise<{ ws: WsTestClient; from: number }> {
  const ws = await WsTestClient.connect(url);
  expect((await ws.login(trader)).type).toBe('reply');
  const reply = await ws.ok('subscribe', { channel: 'orders' });
  return { ws, from: reply.result.seq as number };
}

/** The ExecutionReports' fills by ClOrdID: the quantities of every trade report (ExecType F). */
function fillsByClOrdId(messages: readonly FixMessage[]): Map<string, string[]> {
  const fills = new Map<string, string[]>();
  for (const m of messages) {
    if (m.msgType !== '8' || m.get(150) !== 'F') continue;
    const id = m.get(11)!;
    fills.set(id, [...(fills.get(id) ?? []), m.get(32)!]);
  }
  return fills;
}

describe('a gateway process killed with SIGKILL', () => {
  it('its WebSocket client resumes on the other gateway by sequence with no gap and no duplicate, and its FIX session logs on there with its sequence numbers intact', async () => {
    const stores: FleetStores = { natsUrl: nats.servers.join(','), redisUrl: redis.url, databaseUrl: database.url, secretsKey: newSecretsKey() };
    const a = await startGatewayProcess(stores, CONFIG);
    gateways.push(a);
    const b = await startGatewayProcess(stores, CONFIG);
    gateways.push(b);
    const trader = await createTrader(b, 'chaos-t', { fixSenderCompId: SENDER });
    const other = await createTrader(b, 'chaos-c');
    const fixKey: TestKey = { keyId: trader.keyId, secret: Buffer.from(trader.secret, 'base64url'), accountId: trader.accountId, senderCompId: SENDER };
    const rest = (creds: HmacCredentials, method: string, path: string, body?: unknown) =>
      signedFetch(b.baseUrl, creds, method, path, body === undefined ? {} : { body });
    const place = async (creds: HmacCredentials, order: Record<string, unknown>) => {
      const r = await rest(creds, 'POST', '/v1/orders', { symbol: 'BTC-USD', type: 'limit', ...order });
      expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
    };

    // The WebSocket client and the FIX session live at gateway a.
    const view: OrdersView = { seq: 0, orders: new Map(), applied: [] };
    const first = await subscribeOrders(a.wsUrl, trader);
    const fix = await FixClient.connect(a.fixPort, SENDER, 'EXCHANGE');
    fix.logon(fixKey);
    fix.seq = 2;
    expect((await fix.next()).msgType).toBe('A');
    // Sells above the bids: they rest until the other account buys them.
    const fixOrders = ['fx-1', 'fx-2', 'fx-3', 'fx-4'];
    for (const id of fixOrders) {
      fix.send('D', [[11, id], [55, 'BTC-USD'], [54, '2'], [60, formatUtcTimestamp(Date.now())], [38, '0.02'], [40, '2'], [44, '101']] satisfies Field[]);
      const ack = await fix.next('8');
      expect([ack.get(11), ack.get(150)]).toEqual([id, '0']);
    }
    // One of them fills while the session is live at a.
    await place(other, { side: 'buy', price: '101', quantity: '0.02', timeInForce: 'IOC', clientOrderId: 'c-fx-1' });
    await eventually(() => expect(fillsByClOrdId(fix.received).get('fx-1')).toEqual(['0.02']), WAIT);

    // Orders flow through gateway b the whole time: the trader's bids, partly filled by the other account, some canceled.
    let running = true;
    let rounds = 0;
    let flowFailed: unknown;
    const flow = (async () => {
      for (let n = 0; running && flowFailed === undefined; n++) {
        await place(trader, { side: 'buy', price: '100', quantity: '0.02', clientOrderId: `t-${n}` });
        await place(other, { side: 'sell', price: '100', quantity: '0.01', timeInForce: 'IOC', clientOrderId: `c-${n}` });
        if (n % 3 === 0) expect((await rest(trader, 'DELETE', `/v1/orders/by-client-id/t-${n}`)).status).toBe(200);
        rounds = n + 1;
      }
    })().catch((error: unknown) => {
      flowFailed = error;
    });
    const progress = async (count: number) => {
      const target = rounds + count;
      await eventually(() => {
        if (flowFailed !== undefined) throw new Error(`the order flow failed: ${String(flowFailed)}`);
        expect(rounds).toBeGreaterThanOrEqual(target);
      }, WAIT);
    };
    await progress(10);
    await eventually(() => expect(first.ws.frames.filter((f) => f.type === 'orders.update').length).toBeGreaterThan(20), WAIT);

    await a.signal('SIGKILL');
    await first.ws.closed;
    await fix.waitClosed();
    // While the session is logged on nowhere, two more of its orders fill.
    await place(other, { side: 'buy', price: '101', quantity: '0.02', timeInForce: 'IOC', clientOrderId: 'c-fx-2' });
    await place(other, { side: 'buy', price: '101', quantity: '0.01', timeInForce: 'IOC', clientOrderId: 'c-fx-3' });
    await progress(5);

    // The WebSocket client reconnects to b and resubscribes.
    const firstSent = applyOrderFrames(view, first.ws.frames);
    const lastBefore = view.seq;
    const second = await subscribeOrders(b.wsUrl, trader);
    await progress(10);

    // The FIX session logs on at b once a's lease on it lapses (a died holding it); until then b
    // refuses the Logon with a Logout saying so.
    const lastReceived = Math.max(...fix.received.map((m) => Number(m.get(34))));
    let again!: FixClient;
    let refusals = 0;
    await eventually(async () => {
      const client = await FixClient.connect(b.fixPort, SENDER, 'EXCHANGE');
      client.logon(fixKey, { seq: fix.seq });
      const reply = await client.next();
      if (reply.msgType !== 'A') {
        refusals++;
        expect(reply.msgType).toBe('5');
        expect(reply.get(58)).toMatch(/another gateway/);
        client.close();
        throw new Error(`Logon refused: ${reply.get(58)}`);
      }
      again = client;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    again.seq = fix.seq + 1;
    const logonSeq = Number(again.received[0]!.get(34));
    // The acceptor's numbers go on from where the session was: never back, and a gap is resent.
    expect(logonSeq).toBeGreaterThan(lastReceived);
    again.send('2', [[7, String(lastReceived + 1)], [16, '0']]);
    again.send('1', [[112, 'AFTER-RESEND']]);
    await again.next('0');
    const resent = again.received.slice(1).filter((m) => m.msgType === '8');
    // Every number between the last one received at a and the Logon at b came back, once.
    const resentSeqs = again.received.slice(1).filter((m) => m.get(43) === 'Y' || m.msgType === '4').map((m) => Number(m.get(34)));
    expect(new Set(resentSeqs).size).toBe(resentSeqs.length);
    for (const m of resent) expect(Number(m.get(34))).toBeGreaterThan(lastReceived);
    // The session learns every fill of its orders: the one at a, and the two made while it was logged on nowhere.
    const fills = fillsByClOrdId([...fix.received, ...resent]);
    expect(Object.fromEntries(fills)).toEqual({ 'fx-1': ['0.02'], 'fx-2': ['0.02'], 'fx-3': ['0.01'] });
    // Order entry goes on at b under the next numbers.
    again.send('D', [[11, 'fx-5'], [55, 'BTC-USD'], [54, '2'], [60, formatUtcTimestamp(Date.now())], [38, '0.01'], [40, '2'], [44, '102']] satisfies Field[]);
    const ack = await again.next('8');
    expect([ack.get(11), ack.get(150)]).toEqual(['fx-5', '0']);

    running = false;
    await flow;
    expect(flowFailed).toBeUndefined();
    // The resumed stream: each connection sent every update once and in order; after the
    // resubscribe, only events past its snapshot; and the view built from both equals the truth.
    await eventually(async () => {
      const view2: OrdersView = { seq: view.seq, orders: new Map(view.orders), applied: [] };
      const secondSent = applyOrderFrames(view2, second.ws.frames);
      for (const sent of [firstSent, secondSent]) expect(sent).toEqual([...sent].sort((x, y) => x - y).filter((s, i, all) => all.indexOf(s) === i));
      for (const seq of secondSent) expect(seq).toBeGreaterThan(second.from);
      const open = await rest(trader, 'GET', '/v1/orders/open');
      expect(open.status).toBe(200);
      const truth = (open.body.data as Record<string, unknown>[]).map((o) => ({ orderId: o.orderId, status: o.status, filledQuantity: o.filledQuantity }))
        .sort((x, y) => String(x.orderId).localeCompare(String(y.orderId)));
      expect(openOf(view2)).toEqual(truth);
    }, WAIT);
    expect(second.from).toBeGreaterThanOrEqual(lastBefore);
    expect([...first.ws.violations, ...second.ws.violations]).toEqual([]);
    second.ws.close();
    again.close();
  }, 300_000);
});
