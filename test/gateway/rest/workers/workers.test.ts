/**
 * REST_WORKERS=2 as a real process tree: the core process (its own REST on PORT) and two REST
 * gateway workers on one shared port, driven over real sockets with real signatures. Once with
 * the embedded stores (the core process's SQLite files), once with `STORES=external` (a
 * redis-server of the test's own and a PostgreSQL database of its own), where every process
 * verifies, limits and locks out against the same Redis and PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KEY_LOCKOUT } from '../../../../server/src/auth/index.js';
import { OPERATION_WEIGHTS } from '../../../../server/src/limits/policies.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../../../helpers/redis-server.js';
import { signedHeaders } from '../../../helpers/signing.js';
import { send, signed, startServiceProcess, type ServiceProcess } from './service-process.js';

/** A small key budget (the smallest the configuration allows), and an IP budget out of the way. */
const KEY_QUOTA = 20;
const CONFIG = `limits:\n  keyWeightPerSecond: ${KEY_QUOTA}\n  ipWeightPerSecond: 1000000\n`;

const order = (price: string) => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.001' });
const withoutRequestId = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
const id = () => randomUUID();
const isPid = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The `http_requests_total` series lines of one operation answered 200, as a /metrics scrape on `port` shows them. */
async function servedCount(port: number, operation: string): Promise<{ series: number; count: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  const lines = (await res.text()).split('\n').filter((l) => l.startsWith('http_requests_total{') && l.includes(`operation="${operation}"`) && l.includes('status="200"'));
  return { series: lines.length, count: lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0) };
}

describe.each(['embedded', 'external'] as const)('REST_WORKERS=2, stores: %s', (stores) => {
  let svc: ServiceProcess;
  let redis: TestRedisServer | undefined;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (stores === 'external') {
      [redis, database] = await Promise.all([startRedisServer(), createTestDatabase()]);
      env = { STORES: 'external', REDIS_URL: redis.url, DATABASE_URL: database.url };
    }
    svc = await startServiceProcess({ REST_WORKERS: '2', REST_WORKERS_PORT: '0', ...env }, CONFIG);
  });

  afterAll(async () => {
    if (svc && svc.child.exitCode === null) {
      const exited = new Promise((resolve) => svc.child.once('exit', resolve));
      svc.child.kill('SIGKILL');
      await exited;
    }
    await redis?.stop();
    await database?.drop();
  });

  if (stores === 'external') it('keeps the keys in PostgreSQL and the replay entries in Redis, shared by every process', async () => {
    const trader = await svc.createTrader('w-shared');
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT account_id FROM api_keys WHERE key_id = $1', [trader.keyId]);
      expect(rows).toEqual([{ account_id: 'w-shared' }]);
    } finally {
      await client.end();
    }
    const requestIds = [id(), id()];
    for (const requestId of requestIds) {
      expect((await signed(svc.workersPort, trader, 'GET', '/v1/balances', { headers: { 'x-request-id': requestId } })).status).toBe(200);
    }
    expect(new Set(await Promise.all(requestIds.map((r) => svc.servedBy(r)))).size).toBe(2);
    // Each worker's signature check left its SET NX entry in the one Redis.
    const redisClient = new Redis(redis!.url);
    try {
      expect(await redisClient.keys(`replay:${trader.keyId}:*`)).toHaveLength(2);
    } finally {
      redisClient.disconnect();
    }
  });

  it('starts two workers on their own port beside the core process\'s REST', () => {
    expect(svc.workersPort).toBeGreaterThan(0);
    expect(svc.workersPort).not.toBe(svc.corePort);
    expect(svc.workerPids()).toHaveLength(2);
  });

  it('serves one core: an order placed through either port is read back through the other', async () => {
    const trader = await svc.createTrader('w-orders');
    const viaWorkers = await signed(svc.workersPort, trader, 'POST', '/v1/orders', { body: order('10000.00') });
    expect(viaWorkers.status).toBe(201);
    const readByCore = await signed(svc.corePort, trader, 'GET', `/v1/orders/${viaWorkers.body.order.orderId}`);
    expect(readByCore.status).toBe(200);
    expect(readByCore.body).toEqual(viaWorkers.body.order);

    const viaCore = await signed(svc.corePort, trader, 'POST', '/v1/orders', { body: order('10001.00') });
    expect(viaCore.status).toBe(201);
    const readByWorkers = await signed(svc.workersPort, trader, 'GET', `/v1/orders/${viaCore.body.order.orderId}`);
    expect(readByWorkers.status).toBe(200);
    expect(readByWorkers.body).toEqual(viaCore.body.order);
    expect(readByWorkers.body.orderId).not.toBe(readByCore.body.orderId);
  });

  it('refuses a signed request replayed to the other worker', async () => {
    const trader = await svc.createTrader('w-replay');
    const headers = signedHeaders(trader, 'GET', '/v1/balances', '');
    const [first, second] = [id(), id()];
    const accepted = await send(svc.workersPort, 'GET', '/v1/balances', { ...headers, 'x-request-id': first });
    const replayed = await send(svc.workersPort, 'GET', '/v1/balances', { ...headers, 'x-request-id': second });
    expect(accepted.status).toBe(200);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toMatchObject({ code: 'AUTH_REPLAYED' });
    expect(await svc.servedBy(second)).not.toBe(await svc.servedBy(first));
  });

  it('refuses at once, in every worker, a key revoked through the core process', async () => {
    const trader = await svc.createTrader('w-revoke');
    // Both workers verify (and cache) the key first.
    const before = [id(), id()];
    for (const requestId of before) expect((await signed(svc.workersPort, trader, 'GET', '/v1/balances', { headers: { 'x-request-id': requestId } })).status).toBe(200);
    expect(new Set([await svc.servedBy(before[0]!), await svc.servedBy(before[1]!)]).size).toBe(2);

    expect((await signed(svc.corePort, trader, 'DELETE', `/v1/api-keys/${trader.keyId}`)).status).toBe(200);

    const after = [id(), id()];
    for (const requestId of after) {
      const res = await signed(svc.workersPort, trader, 'GET', '/v1/balances', { headers: { 'x-request-id': requestId } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'AUTH_INVALID' });
    }
    expect(new Set([await svc.servedBy(after[0]!), await svc.servedBy(after[1]!)]).size).toBe(2);
  });

  it('answers an unknown key and a bad signature with the problem the single process gives', async () => {
    const trader = await svc.createTrader('w-badsig');
    const cases = [
      { keyId: 'ak_unknown0000000000', secret: trader.secret },
      { keyId: trader.keyId, secret: Buffer.alloc(32, 7).toString('base64url') },
    ];
    for (const creds of cases) {
      const fromCore = await signed(svc.corePort, creds, 'GET', '/v1/balances');
      const fromWorker = await signed(svc.workersPort, creds, 'GET', '/v1/balances');
      expect(fromCore.status).toBe(401);
      expect(fromWorker.status).toBe(fromCore.status);
      expect(fromWorker.headers['content-type']).toBe(fromCore.headers['content-type']);
      // The problem type names the port that answered, and the canonical string its own timestamp.
      const comparable = (b: Record<string, unknown>) => {
        const { type, canonicalString, ...rest } = withoutRequestId(b);
        return { ...rest, type: String(type).replace(/^http:\/\/[^/]+/, ''), canonical: typeof canonicalString === 'string' ? canonicalString.split('\n').slice(1) : undefined };
      };
      expect(comparable(fromWorker.body)).toEqual(comparable(fromCore.body));
    }
  });

  it('spends one key budget across both workers and the core process', async () => {
    const trader = await svc.createTrader('w-budget');
    const weight = OPERATION_WEIGHTS.listOrders!;
    const requestIds = Array.from({ length: 8 }, id);
    const startedAt = Date.now();
    // Distinct timestamps: identical signatures would be replays, not budget refusals.
    const burst = await Promise.all(requestIds.map((requestId, i) => signed(svc.workersPort, trader, 'GET', '/v1/orders', { timestamp: startedAt - i, headers: { 'x-request-id': requestId } })));
    const account = await signed(svc.corePort, trader, 'GET', '/v1/account');
    const elapsedSeconds = (Date.now() - startedAt) / 1000;

    const served = new Set(await Promise.all(requestIds.map((r) => svc.servedBy(r))));
    expect(served.size).toBe(2);
    const accepted = burst.filter((r) => r.status === 200).length;
    const refused = burst.filter((r) => r.status === 429);
    expect(accepted + refused.length).toBe(burst.length);
    for (const r of refused) expect(r.body).toMatchObject({ code: 'RATE_LIMITED', limits: expect.arrayContaining([expect.objectContaining({ policy: 'key' })]) });
    // One bucket of KEY_QUOTA that refills KEY_QUOTA per second: budgets per process would admit
    // up to twice as much from the two workers.
    const refill = Math.ceil(KEY_QUOTA * elapsedSeconds);
    expect(accepted * weight).toBeLessThanOrEqual(KEY_QUOTA + refill);
    expect(refused.length).toBeGreaterThan(0);
    // The core process charges and reports the same bucket.
    if (account.status === 200) {
      const key = account.body.rateLimits.find((l: { policy: string }) => l.policy === 'key');
      expect(key.remaining).toBeLessThanOrEqual(Math.min(KEY_QUOTA, KEY_QUOTA - accepted * weight + refill) - OPERATION_WEIGHTS.getAccount!);
    } else {
      expect(account).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    }
  });

  it('locks a key out after as many bad signatures as one process allows, spread over both workers and the core process', async () => {
    const trader = await svc.createTrader('w-lockout');
    const forged = { keyId: trader.keyId, secret: Buffer.alloc(32, 9).toString('base64url') };
    // Every third attempt to the core process's port, the others to the workers' (taken in turn).
    // All come from one IP, whose allowance (DEFAULT_IP_LOCKOUT) the whole file stays under.
    const attempts = Array.from({ length: DEFAULT_KEY_LOCKOUT.maxFailures }, (_, i) => ({ port: i % 3 === 0 ? svc.corePort : svc.workersPort, requestId: id() }));
    for (const { port, requestId } of attempts) {
      const res = await signed(port, forged, 'GET', '/v1/balances', { headers: { 'x-request-id': requestId } });
      expect(res).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID' } });
    }
    const failedIn = await Promise.all(attempts.map((a) => svc.servedBy(a.requestId)));
    expect(failedIn).toContain(undefined); // the core process's own REST
    expect(new Set(failedIn.filter((w) => w !== undefined)).size).toBe(2);

    // Now even a correct signature is refused, by every process.
    const afterwards = [svc.corePort, svc.workersPort, svc.workersPort].map((port) => ({ port, requestId: id() }));
    for (const { port, requestId } of afterwards) {
      const res = await signed(port, trader, 'GET', '/v1/balances', { headers: { 'x-request-id': requestId } });
      expect(res).toMatchObject({ status: 429, body: { code: 'AUTH_LOCKED_OUT' } });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(DEFAULT_KEY_LOCKOUT.baseLockoutSeconds);
    }
    const lockedIn = await Promise.all(afterwards.map((a) => svc.servedBy(a.requestId)));
    expect(lockedIn[0]).toBeUndefined();
    expect(new Set(lockedIn.slice(1)).size).toBe(2);
  });

  it('counts the requests of every process in /metrics, summed, on either port', async () => {
    const before = await servedCount(svc.corePort, 'getServerTime');
    const viaWorkers = Array.from({ length: 6 }, id);
    for (const requestId of viaWorkers) expect((await send(svc.workersPort, 'GET', '/v1/time', { 'x-request-id': requestId })).status).toBe(200);
    expect((await send(svc.corePort, 'GET', '/v1/time', {})).status).toBe(200);

    // Both workers served some, so neither alone saw them all.
    const servedBy = await Promise.all(viaWorkers.map((r) => svc.servedBy(r)));
    expect(new Set(servedBy).size).toBe(2);
    const mostByOneWorker = Math.max(...[...new Set(servedBy)].map((w) => servedBy.filter((s) => s === w).length));
    expect(mostByOneWorker).toBeLessThan(viaWorkers.length);

    for (const port of [svc.corePort, svc.workersPort, svc.workersPort]) {
      const after = await servedCount(port, 'getServerTime');
      // One series, not one per process: the counters are summed under the same labels.
      expect(after.series).toBe(1);
      expect(after.count - before.count).toBe(viaWorkers.length + 1);
    }
  });

  it('replaces a worker killed with SIGKILL, and the port keeps answering', async () => {
    const [victim, survivor] = svc.workerPids();
    process.kill(victim!, 'SIGKILL');
    await svc.waitForLog((l) => l.msg === 'REST worker exited; starting a replacement' && l.pid === victim);
    expect((await send(svc.workersPort, 'GET', '/v1/time', {})).status).toBe(200);

    const replacement = await svc.waitForLog((l) => l.msg === 'REST worker listening' && l.pid !== victim && l.pid !== survivor);
    expect(replacement.port).toBe(svc.workersPort);
    expect(svc.workerPids().sort()).toEqual([survivor, replacement.pid].sort());
    const requestIds = [id(), id(), id()];
    for (const requestId of requestIds) expect((await send(svc.workersPort, 'GET', '/v1/time', { 'x-request-id': requestId })).status).toBe(200);
    const servedBy = new Set(await Promise.all(requestIds.map((r) => svc.servedBy(r))));
    expect(servedBy.size).toBe(2);
    expect(isPid(victim!)).toBe(false);
  });

  it('stops every worker and exits 0 on SIGTERM of the core process', async () => {
    const workers = svc.workerPids();
    expect(workers.every(isPid)).toBe(true);
    // 'close': the exit code, and every line the processes wrote to the shared stdout.
    const exited = new Promise<number | null>((resolve) => svc.child.once('close', (code) => resolve(code)));
    svc.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(svc.logs.filter((l) => l.msg === 'REST worker stopped').map((l) => l.pid).sort()).toEqual([...workers].sort());
    expect(svc.logs.some((l) => l.msg === 'service stopped')).toBe(true);
    expect(workers.filter(isPid)).toEqual([]);
  });
});
