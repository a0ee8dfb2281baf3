/**
 * The service with `stores: external`, against a real Redis (a redis-server of this test's own,
 * which it kills and restarts) and a real PostgreSQL (a database of its own): keys, limits,
 * replay and idempotency caches in Redis; keys, history and the audit log in PostgreSQL; and the
 * failure behaviour of docs/operations.md, "External stores".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import { createLogger } from '../../server/src/observability/logger.js';
import { startService } from '../../server/src/service.js';
import { FixClient } from '../gateway/fix/harness.js';
import { WsTestClient } from '../gateway/ws/client.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';

let redis: TestRedisServer;
let database: TestDatabase;
/** A query on a connection of its own to the test database (connections are cut during the test). */
async function sql<Row extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await client.query<Row>(text, params);
  } finally {
    await client.end();
  }
}
/** On the server's maintenance database: can refuse and cut the test database's connections. */
let admin: pg.Client;
let svc: TestService;
let trader: { keyId: string; secret: string; accountId: string };

beforeAll(async () => {
  [redis, database] = await Promise.all([startRedisServer(), createTestDatabase()]);
  admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  svc = await startTestService({ config: { stores: 'external', redisUrl: redis.url, redisKeyPrefix: 'svc:', databaseUrl: database.url, fix: { ...DEFAULT_CONFIG.fix, enabled: true, port: 0 } } });
  trader = await svc.createTrader('ext-1', undefined, ['read', 'trade'], { fixSenderCompId: 'EXT1' });
});

afterAll(async () => {
  await svc?.stop();
  await admin?.end();
  await redis?.stop();
  await database?.drop();
});

const order = (price: string) => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.01' });
const ready = async () => (await fetch(`${svc.baseUrl}/health/ready`)).json() as Promise<{ status: string; checks: Record<string, { ok: boolean; detail?: string }> }>;

describe('stores: external', () => {
  it('keeps keys, history and the audit log in PostgreSQL, and answers history reads from it', async () => {
    const placed = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: order('100') });
    expect(placed.status).toBe(201);
    // Read-your-writes: the history read waits for PostgreSQL to hold the acknowledged order.
    const listed = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/orders');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((o: { orderId: string }) => o.orderId)).toEqual([placed.body.order.orderId]);
    const pgOrders = await sql('SELECT order_id FROM orders WHERE account_id = $1', ['ext-1']);
    expect(pgOrders.rows).toEqual([{ order_id: placed.body.order.orderId }]);
    expect((await sql('SELECT account_id FROM api_keys WHERE key_id = $1', [trader.keyId])).rows).toEqual([{ account_id: 'ext-1' }]);
    const audit = await sql<{ action: string; subject: string }>('SELECT action, subject FROM audit_log ORDER BY id');
    expect(audit.rows).toEqual(expect.arrayContaining([
      { action: 'operatorCreateAccount', subject: 'ext-1' },
      { action: 'operatorCreateApiKey', subject: 'ext-1' },
    ]));
  });

  it('refuses, once Redis is gone, REST (503 AUTH_UNAVAILABLE), a WebSocket login (error frame) and a FIX Logon (Logout); not ready until Redis is back, then recovers by itself', async () => {
    await redis.kill();
    try {
      await eventually(async () => {
        const res = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/account');
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('AUTH_UNAVAILABLE');
      });
      expect(await ready()).toMatchObject({ status: 'not_ready', checks: { redis: { ok: false } } });
      // Public data needs an IP budget, kept in Redis too: refused as well, not let through unlimited.
      expect((await fetch(`${svc.baseUrl}/v1/tickers`)).status).toBe(503);

      const ws = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
      const answer = await ws.login(trader).catch((e: unknown) => ({ failed: String(e), frames: ws.frames }));
      expect(answer).toMatchObject({ type: 'error', code: 'AUTH_UNAVAILABLE', status: 503 });
      ws.close();

      const fix = await FixClient.connect(svc.fixPort!, 'EXT1', 'EXCHANGE');
      fix.logon({ keyId: trader.keyId, secret: Buffer.from(trader.secret, 'base64url'), accountId: 'ext-1', senderCompId: 'EXT1' });
      const logout = await fix.next();
      expect(logout.msgType).toBe('5');
      fix.close();
    } finally {
      await redis.restart();
    }
    await eventually(async () => expect((await ready()).status).toBe('ready'));
    expect((await signedFetch(svc.baseUrl, trader, 'GET', '/v1/account')).status).toBe(200);
  });

  it('keeps trading while PostgreSQL refuses connections (history reads 503), then catches the history up with nothing lost', async () => {
    const before = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/orders');
    await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
    const placedMeanwhile: string[] = [];
    try {
      for (const price of ['101', '102', '103']) {
        const placed = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: order(price) });
        expect(placed.status).toBe(201);
        placedMeanwhile.push(placed.body.order.orderId);
      }
      await eventually(async () => {
        const res = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/orders');
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
      });
      expect(await ready()).toMatchObject({ status: 'ready', checks: { history: { ok: false } } });
    } finally {
      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
    }
    await eventually(async () => {
      const res = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/orders');
      expect(res.status).toBe(200);
      expect(res.body.data.map((o: { orderId: string }) => o.orderId)).toEqual([...placedMeanwhile].reverse().concat(before.body.data.map((o: { orderId: string }) => o.orderId)));
    });
    expect((await ready()).checks.history).toEqual({ ok: true });
  });
});

describe('starting with stores: external', () => {
  const base = () => ({ ...structuredClone(DEFAULT_CONFIG), stores: 'external', dataDir: mkdtempSync(join(tmpdir(), 'ext-start-')), http: { ...DEFAULT_CONFIG.http, port: 0 }, fix: { ...DEFAULT_CONFIG.fix, enabled: false } });

  it('needs both URLs, and says which is missing', async () => {
    const start = (config: Record<string, unknown>) => startService({ config: validateConfig({ ...base(), ...config }), logger: createLogger('silent'), demoBot: false });
    await expect(start({ redisUrl: redis.url })).rejects.toThrow('stores: external needs DATABASE_URL (databaseUrl)');
    await expect(start({})).rejects.toThrow('stores: external needs REDIS_URL (redisUrl) and DATABASE_URL (databaseUrl)');
  });

  it('stops with a message naming REDIS_URL or DATABASE_URL when the server does not answer or the URL is bad', async () => {
    const dead = await startRedisServer();
    await dead.stop();
    const start = (config: Record<string, unknown>) => startService({ config: validateConfig({ ...base(), ...config }), logger: createLogger('silent'), demoBot: false });
    await expect(start({ redisUrl: dead.url, databaseUrl: database.url })).rejects.toThrow(`REDIS_URL: cannot reach Redis at redis://127.0.0.1:${dead.port}`);
    await expect(start({ redisUrl: 'mysql://x', databaseUrl: database.url })).rejects.toThrow(/REDIS_URL must start with redis:\/\//);
    await expect(start({ redisUrl: redis.url, databaseUrl: `postgres://postgres@127.0.0.1:${dead.port}/nothing` })).rejects.toThrow(`DATABASE_URL: cannot reach PostgreSQL at postgres://127.0.0.1:${dead.port}/nothing`);
  });
});
