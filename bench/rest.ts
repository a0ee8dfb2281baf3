/**
 * REST benchmark (`npm run bench:rest`). The service runs as its own process; this process drives
 * it with autocannon at 50 connections, signing every request (each signature is unique, so the
 * replay cache sees real traffic). In the same run it measures a bare express 5 JSON server, the
 * ceiling for this stack.
 *
 *   npm run bench:rest [-- --duration 10 --connections 50 --cpu-prof-dir DIR --sections all|embedded|external]
 *
 * With --cpu-prof-dir, the service process writes a V8 CPU profile there when it exits.
 *
 * The external section runs signed create-order against the embedded stores and against the
 * external ones (STORES=external: Redis at REDIS_URL, default redis://127.0.0.1:6379 under a key
 * prefix of its own; PostgreSQL on the server of DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, in a database of its own, dropped after), one after
 * the other in the same run, and measures how many fills per second the history copy into
 * PostgreSQL sustains (target: keeps up with 10,000 fills/s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import type { CoreEvent, OrderView } from '../server/src/core/api.js';
import { openHistoryStore } from '../server/src/history/index.js';
import { PostgresHistory } from '../server/src/history/postgres-history.js';
import { PostgresHistoryProjection } from '../server/src/history/postgres-projection.js';
import { connectPostgres } from '../server/src/storage/postgres.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, 'cpu-prof-dir': { type: 'string' }, sections: { type: 'string', default: 'all' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

function startProcess(args: string[], env: Record<string, string>, readyMessage: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === readyMessage) {
          clearTimeout(timer);
          resolve({ child, port: entry.port! });
        }
      } catch { /* not a log line */ }
    });
  });
}

interface Creds { keyId: string; secret: string; lastTimestamp?: number }
function sign(creds: Creds, method: string, path: string, body: string): Record<string, string> {
  // Strictly increasing timestamps per key keep identical requests (the same GET twice in one ms)
  // from being replays; that allows 1,000 requests per second per key, so the load rotates keys.
  const ts = (creds.lastTimestamp = Math.max(Date.now(), (creds.lastTimestamp ?? 0) + 1));
  const message = `${ts}\n${method}\n${path}\n${createHash('sha256').update(body).digest('hex')}`;
  return {
    'x-api-key': creds.keyId,
    'x-api-timestamp': String(ts),
    'x-api-signature': createHmac('sha256', Buffer.from(creds.secret, 'base64url')).update(message).digest('base64'),
    'content-type': 'application/json',
  };
}

async function call(base: string, creds: Creds, method: string, path: string, body?: unknown): Promise<any> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const res = await fetch(base + path, { method, headers: sign(creds, method, path, text), ...(text && { body: text }) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Figures { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number }
function figures(name: string, r: autocannon.Result): Figures {
  return { name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function run(name: string, opts: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections, duration, ...opts });
  const f = figures(name, result);
  process.stdout.write(`${name.padEnd(40)} ${String(f.rps).padStart(7)} req/s   p50 ${f.p50} ms   p99 ${f.p99} ms   non-2xx ${f.non2xx}   errors ${f.errors}\n`);
  return f;
}

async function main(): Promise<void> {
  if (values.sections !== 'external') await embedded();
  if (values.sections !== 'embedded') await external();
}

async function embedded(): Promise<void> {
  const results: Figures[] = [];
  // 1. The ceiling: bare express 5.
  const bare = await startProcess(['bench/bare-express.ts'], { PORT: '0' }, 'bare express listening');
  const bareUrl = `http://127.0.0.1:${bare.port}`;
  results.push(await run('bare express GET JSON', { url: `${bareUrl}/hello` }));
  results.push(await run('bare express POST JSON', { url: `${bareUrl}/echo`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' }) }));
  bare.child.kill('SIGTERM');

  // 2. The service with its embedded durable default, in one process.
  const single = await startBenchService({});
  results.push(await run('signed GET /v1/balances', single.balances()));
  results.push(await run('signed POST /v1/orders', single.placeOrders()));
  results.push(await run('signed place + cancel (pairs)', single.placeAndCancel()));
  // Latency without queueing: one client sending one order at a time.
  const unloaded = await run('signed POST /v1/orders, 1 connection', { ...single.placeOrders(), connections: 1 });
  await single.stop();

  const ceiling = results[1]!.rps;
  const place = results[3]!.rps;
  process.stdout.write(`\nsigned create-order / bare express POST = ${((100 * place) / ceiling).toFixed(1)} % (target >= 50 %), create-order p99 ${results[3]!.p99} ms at ${connections} connections, ${unloaded.p99} ms at 1 (target < 10 ms)\n`);

  // 3. REST gateway workers in front of the same single-writer core (REST_WORKERS), against the workers' port.
  process.stdout.write('\nREST gateway workers (REST_WORKERS=N; signed requests to the workers\' shared port):\n');
  for (const workers of [1, 2]) {
    const label = `${workers} worker${workers > 1 ? 's' : ''}`;
    const svc = await startBenchService({ REST_WORKERS: String(workers), REST_WORKERS_PORT: '0' });
    await run(`${label}: signed POST /v1/orders`, svc.placeOrders());
    await run(`${label}: signed GET /v1/balances`, svc.balances());
    await svc.stop();
  }
}

/** Removes this run's Redis keys (replay entries and budgets would expire by themselves). */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/** A database of this run on the PostgreSQL server of DATABASE_URL; drop() removes it. */
async function benchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `bench_rest_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Signed create-order with the embedded stores, then with Redis and PostgreSQL; then the history copy's fills/s. */
async function external(): Promise<void> {
  process.stdout.write('\nExternal stores (STORES=external) against embedded, in one run:\n');
  const embeddedSvc = await startBenchService({});
  const embeddedPlace = await run('embedded: signed POST /v1/orders', embeddedSvc.placeOrders());
  await embeddedSvc.stop();
  const database = await benchDatabase();
  try {
    const prefix = `bench-rest:${process.pid}:`;
    const svc = await startBenchService({ STORES: 'external', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, DATABASE_URL: database.url });
    const externalPlace = await run('external: signed POST /v1/orders', svc.placeOrders());
    await run('external: signed GET /v1/balances', svc.balances());
    await svc.stop();
    await deleteRedisKeys(prefix);
    process.stdout.write(`\nexternal / embedded create-order = ${((100 * externalPlace.rps) / embeddedPlace.rps).toFixed(1)} %\n`);
    await historyCopyThroughput(database.url);
  } finally {
    await database.drop();
  }
}

/**
 * The history copy into PostgreSQL (postgres-projection.ts, as the service runs it): an embedded
 * history holding FILLS fills (1,000 orders, each filled many times) is copied from scratch; the
 * figure is fills per second until PostgreSQL's projected_seq reaches the embedded one.
 */
async function historyCopyThroughput(databaseUrl: string): Promise<void> {
  const FILLS = Number(process.env.BENCH_FILLS ?? 200_000);
  const local = openHistoryStore(':memory:');
  const events: CoreEvent[] = [];
  let seq = 0;
  const orders: OrderView[] = Array.from({ length: 1000 }, (_, i) => ({
    orderId: `o${i}`, clientOrderId: `c${i}`, accountId: `acc-${i % 50}`, symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC',
    postOnly: false, stp: 'cancel_newest', price: '10', quantity: '1000000', filledQuantity: '0', remainingQuantity: '1000000', filledQuote: '0',
    status: 'new', createdAt: 1000, updatedAt: 1000,
  }));
  for (const order of orders) events.push({ type: 'OrderAccepted', seq: ++seq, ts: 1000, order });
  for (let i = 0; i < FILLS; i++) {
    const order = { ...orders[i % orders.length]!, status: 'partially_filled' as const };
    events.push({ type: 'OrderFilled', seq: ++seq, ts: 2000 + i, order, tradeId: i + 1, price: '10', quantity: '1', liquidity: 'maker', fee: '0.01', feeAsset: 'USD' });
  }
  for (let i = 0; i < events.length; i += 10_000) local.project(events.slice(i, i + 10_000));
  const pool = await connectPostgres(databaseUrl, { schema: 'history_copy_bench', max: 4 });
  const started = process.hrtime.bigint();
  const projection = new PostgresHistoryProjection({
    source: local.changeReader(), target: new PostgresHistory(pool), localSynced: async () => {}, localSeq: () => local.projectedSeq,
    subscribe: () => () => {}, logger: pino({ level: 'silent' }), syncTimeoutMs: 600_000,
  });
  try {
    await projection.synced();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = Math.round(FILLS / seconds);
    process.stdout.write(`history copy into PostgreSQL: ${FILLS} fills (+1,000 orders) in ${seconds.toFixed(2)} s = ${rate} fills/s (target >= 10,000: ${rate >= 10_000 ? 'met' : 'MISSED'})\n`);
  } finally {
    await projection.close();
    await pool.end();
    local.close();
  }
}

/**
 * Starts the service as its own process (production mode, so no demo bot: the books hold only the
 * benchmark's orders; logging stays at its deployed default, info, one line per request: it is part
 * of the cost), funds a bench account, makes 16 keys, and returns the request plans. With
 * REST_WORKERS set, every request (setup included) goes to the workers' port.
 */
async function startBenchService(extraEnv: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-rest-'));
  const withWorkers = extraEnv.REST_WORKERS !== undefined;
  const svc = await startProcess(['server/src/main.ts'], {
    PORT: '0', FIX_PORT: '0', DATA_DIR: dataDir, MODE: 'production', SECRETS_KEY: 'ab'.repeat(32), CONFIG_FILE: join(process.cwd(), 'bench/rest-config.yaml'),
    ...extraEnv,
  }, withWorkers ? 'REST workers listening' : 'REST gateway listening', values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof-dir']] : []);
  const base = `http://127.0.0.1:${svc.port}`;
  const operator = JSON.parse(readFileSync(join(dataDir, 'operator-credentials.json'), 'utf8')) as Creds;
  await call(base, operator, 'POST', '/v1/operator/accounts', { accountId: 'bench', maxOpenOrders: 100_000 });
  await call(base, operator, 'POST', '/v1/operator/accounts/bench/deposits', { asset: 'USD', amount: '1000000000' });
  const keys: Creds[] = [];
  for (let i = 0; i < 16; i++) {
    const key = await call(base, operator, 'POST', '/v1/operator/accounts/bench/api-keys', { label: `bench ${i}`, scopes: ['read', 'trade'] });
    keys.push({ keyId: key.key.keyId, secret: key.secret });
  }
  let turn = 0;
  const nextKey = () => keys[turn++ % keys.length]!;
  let n = 0;
  const orderBody = () => JSON.stringify({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: `${10000 + (n++ % 500)}.00`, quantity: '0.001' });
  const signedOrder = (req: autocannon.Request): autocannon.Request => {
    const body = orderBody();
    return { ...req, body, headers: sign(nextKey(), 'POST', '/v1/orders', body) };
  };
  return {
    balances: (): autocannon.Options => ({
      url: base,
      requests: [{ method: 'GET', path: '/v1/balances', setupRequest: (req) => ({ ...req, headers: sign(nextKey(), 'GET', '/v1/balances', '') }) }],
    }),
    placeOrders: (): autocannon.Options => ({ url: base, requests: [{ method: 'POST', path: '/v1/orders', setupRequest: signedOrder }] }),
    placeAndCancel: (): autocannon.Options => ({
      url: base,
      requests: [
        {
          method: 'POST', path: '/v1/orders', setupRequest: signedOrder,
          onResponse: (status, body, context) => { if (status === 201) (context as Record<string, unknown>).orderId = JSON.parse(body).order.orderId; },
        },
        {
          method: 'DELETE',
          setupRequest: (req, context) => { const path = `/v1/orders/${String((context as Record<string, unknown>).orderId)}`; return { ...req, path, headers: sign(nextKey(), 'DELETE', path, '') }; },
        },
      ],
    }),
    stop: async () => {
      svc.child.kill('SIGTERM');
      await new Promise((r) => svc.child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

await main();
