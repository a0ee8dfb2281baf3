/**
 * Chaos through the whole fleet: a core leader and a standby (core-main.ts) on a real 3-node
 * JetStream cluster, two real gateway processes (gateway-main.ts) on real Redis and PostgreSQL,
 * and four REST traders spread over both gateways placing crossing orders. The leader is killed
 * with SIGKILL mid-flow; the flow goes on until the standby leads and more orders are
 * acknowledged. Then what every trader was told is checked against the log (a replica of it) and
 * against the gateways' REST answers: each 201 is one order, each 503 is resolved by client order
 * id, no trade is reported twice, and every asset's total is what was deposited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { NatsConnection } from 'nats';
import { logStreamName } from '../../server/src/fleet/shard-names.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsCluster, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { signedFetch, type HmacCredentials } from '../helpers/signing.js';
import { createTrader, newSecretsKey, type FleetStores } from './gateway-harness.js';
import { startCoreProcess, type CoreProcess } from './support/core-process.js';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';
import { LogReplica } from './support/order-flow.js';

const WAIT = { timeoutMs: 240_000, intervalMs: 100 };
// The order flow is not paced: on a fast machine it would meet the request-weight budgets (per key,
// and per IP, which every client here shares), which are not what this test is about.
const CONFIG = { limits: { keyWeightPerSecond: 1_000_000, ipWeightPerSecond: 1_000_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 } };
const SHARD = 0;
/** Deposited per trader by `createTrader`. */
const DEPOSIT = { USD: 1_000_000n, BTC: 100n };
const logger = pino({ level: 'silent' });

let cluster: NatsTestCluster;
let redis: TestRedisServer;
let database: TestDatabase;
let nc: NatsConnection | undefined;
const cores: CoreProcess[] = [];
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  [cluster, redis, database] = await Promise.all([startNatsCluster(), startRedisServer(), createTestDatabase()]);
}, 180_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  for (const c of cores) await c.signal('SIGKILL');
  await nc?.close().catch(() => undefined);
  await cluster?.close();
  await redis?.stop();
  await database?.drop();
});

type Rest = (method: string, path: string, body?: unknown) => ReturnType<typeof signedFetch>;

interface Trader {
  accountId: string;
  /** Its REST calls through one gateway; `elsewhere` goes through the other. */
  rest: Rest;
  elsewhere: Rest;
  acknowledged: string[];
  /** Client order ids answered 503: outcome unknown until looked up. */
  unknown: string[];
  unexpected: string[];
}

function restOf(gateway: GatewayProcess, creds: HmacCredentials): Rest {
  return (method, path, body) => signedFetch(gateway.baseUrl, creds, method, path, body === undefined ? {} : { body });
}

/** Exact units of a decimal string at 8 places. */
function units(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole!) * 10n ** 8n + BigInt((fraction + '0'.repeat(8)).slice(0, 8));
}

async function allFills(rest: Rest): Promise<Record<string, unknown>[]> {
  const fills: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const r = await rest('GET', `/v1/fills?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(r.status).toBe(200);
    fills.push(...(r.body.data as Record<string, unknown>[]));
    cursor = r.body.nextCursor as string | null;
  } while (cursor !== null);
  return fills;
}

describe('kill -9 of the core leader under REST order flow through two gateway processes', () => {
  it('the standby leads; every acknowledged order exists once, each unknown outcome is found by client order id as the log has it, no fill twice, balances conserved', async () => {
    const started = Date.now();
    const leader = startCoreProcess({ nodeId: 'lk-a', servers: cluster.servers, shard: SHARD, replicas: cluster.replicas });
    cores.push(leader);
    await eventually(() => expect(leader.role).toBe('leader'), WAIT);
    const standby = startCoreProcess({ nodeId: 'lk-b', servers: cluster.servers, shard: SHARD, replicas: cluster.replicas });
    cores.push(standby);
    await eventually(() => expect(standby.role).toBe('standby'), WAIT);

    const stores: FleetStores = { natsUrl: cluster.servers.join(','), redisUrl: redis.url, databaseUrl: database.url, secretsKey: newSecretsKey() };
    const [ga, gb] = [await startGatewayProcess(stores, CONFIG), await startGatewayProcess(stores, CONFIG)];
    gateways.push(ga!, gb!);
    const pair = [ga!, gb!];
    const traders: Trader[] = [];
    for (let i = 0; i < 4; i++) {
      const accountId = `lk-${i}`;
      const creds = await createTrader(pair[i % 2]!, accountId);
      // No fees: every asset's total over the traders' own balances stays what was deposited.
      const asOperator = restOf(ga!, ga!.operator);
      expect((await asOperator('PUT', `/v1/operator/accounts/${accountId}/fee-schedule`, { makerBps: 0, takerBps: 0 })).status).toBe(200);
      traders.push({ accountId, rest: restOf(pair[i % 2]!, creds), elsewhere: restOf(pair[(i + 1) % 2]!, creds), acknowledged: [], unknown: [], unexpected: [] });
    }

    // Even traders buy at 100.50, odd ones sell at 99.50: they cross each other, never themselves.
    let running = true;
    const loops = traders.map(async (trader, i) => {
      for (let n = 0; running; n++) {
        const clientOrderId = `${trader.accountId}-${n}`;
        const r = await trader.rest('POST', '/v1/orders', {
          symbol: 'BTC-USD', type: 'limit', side: i % 2 === 0 ? 'buy' : 'sell', price: i % 2 === 0 ? '100.50' : '99.50', quantity: '0.02', clientOrderId,
        }).catch((error: unknown) => ({ status: 0, body: { error: String(error) } }));
        if (r.status === 201) trader.acknowledged.push(clientOrderId);
        else if (r.status === 503 && r.body?.code === 'SERVICE_UNAVAILABLE') trader.unknown.push(clientOrderId);
        else trader.unexpected.push(`${clientOrderId}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    });
    const acknowledged = () => traders.reduce((sum, t) => sum + t.acknowledged.length, 0);
    const progress = async (count: number) => {
      const target = acknowledged() + count;
      await eventually(() => expect(acknowledged()).toBeGreaterThanOrEqual(target), WAIT);
    };

    await progress(80);
    await leader.signal('SIGKILL');
    const killedAt = acknowledged();
    await eventually(() => expect(standby.role).toBe('leader'), WAIT);
    await progress(80);
    running = false;
    await Promise.all(loops);
    expect(acknowledged()).toBeGreaterThanOrEqual(killedAt + 80);
    expect(traders.flatMap((t) => t.unexpected)).toEqual([]);

    // The log, as a replica reads it to its end.
    nc = await cluster.connect();
    const replica = await LogReplica.open(nc, SHARD, cluster.replicas, logger);
    const jsm = await nc.jetstreamManager();
    await replica.whenApplied((await jsm.streams.info(logStreamName(SHARD))).state.last_seq);
    for (const [key, seqs] of replica.placed) expect(seqs, key).toHaveLength(1);
    const acceptedInLog = (key: string) => (replica.placed.get(key) ?? []).some((seq) => replica.entries.get(seq)?.result?.events.some((e) => e.type === 'OrderAccepted'));
    const traded = [...replica.entries.values()].some((e) => e.result?.events.some((ev) => ev.type === 'TradePrinted'));
    expect(traded).toBe(true);

    let unknownFound = 0;
    for (const trader of traders) {
      // Every 201 is in the log once and found by client order id at the other gateway.
      for (const clientOrderId of trader.acknowledged) {
        expect(replica.placed.get(`${trader.accountId}/${clientOrderId}`), clientOrderId).toHaveLength(1);
      }
      // Every 503 is resolved by a lookup: found exactly when the log accepted it.
      for (const clientOrderId of trader.unknown) {
        const inLog = acceptedInLog(`${trader.accountId}/${clientOrderId}`);
        if (inLog) unknownFound++;
        await eventually(async () => {
          const r = await trader.elsewhere('GET', `/v1/orders/by-client-id/${clientOrderId}`);
          expect(r.status, clientOrderId).toBe(inLog ? 200 : 404);
        }, WAIT);
      }
      // The gateways' history (PostgreSQL) catches up with the log: each acknowledged order found
      // once with its fills, no trade reported twice, each order's fills adding up to its filled quantity.
      await eventually(async () => {
        const fills = await allFills(trader.elsewhere);
        const tradeIds = fills.map((f) => `${f.symbol}/${f.tradeId}`);
        expect(new Set(tradeIds).size).toBe(tradeIds.length);
        const filledByOrder = new Map<string, bigint>();
        for (const f of fills) filledByOrder.set(f.orderId as string, (filledByOrder.get(f.orderId as string) ?? 0n) + units(f.quantity as string));
        for (const clientOrderId of trader.acknowledged) {
          const r = await trader.elsewhere('GET', `/v1/orders/by-client-id/${clientOrderId}`);
          expect(r.status, clientOrderId).toBe(200);
          expect(filledByOrder.get(r.body.orderId as string) ?? 0n, clientOrderId).toBe(units(r.body.filledQuantity as string));
        }
      }, WAIT);
    }

    // Balances over every trader, through REST: exactly what was deposited.
    await eventually(async () => {
      const totals = new Map<string, bigint>();
      for (const trader of traders) {
        const r = await trader.rest('GET', '/v1/balances');
        expect(r.status).toBe(200);
        for (const b of r.body.data as { asset: string; total: string }[]) totals.set(b.asset, (totals.get(b.asset) ?? 0n) + units(b.total));
      }
      expect(Object.fromEntries(totals)).toEqual({ USD: 4n * DEPOSIT.USD * 10n ** 8n, BTC: 4n * DEPOSIT.BTC * 10n ** 8n });
    }, WAIT);

    // The standby leads with a higher term than the killed leader's.
    const term = (p: CoreProcess) => p.lines.find((l) => l.msg === 'core node is now leader')?.term;
    expect(term(standby)).toBeGreaterThan(term(leader)!);
    await replica.stop();
    console.info(`leader kill through gateways: ${acknowledged()} acknowledged, ${traders.reduce((s, t) => s + t.unknown.length, 0)} unknown outcomes (${unknownFound} found in the log), ${Date.now() - started} ms`);
  }, 300_000);
});
