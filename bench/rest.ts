/**
 * REST benchmark (`npm run bench:rest`). The service runs as its own process; this process drives
 * it with autocannon at 50 connections, signing every request (each signature is unique, so the
 * replay cache sees real traffic). In the same run it measures a bare express 5 JSON server, the
 * ceiling for this stack.
 *
 *   npm run bench:rest [-- --duration 10 --connections 50 --cpu-prof-dir DIR --sections all|embedded|external|orders]
 *
 * `--sections orders` runs only the issue-19 pair: bare express POST and signed create-order, so a
 * before/after comparison fits in a short quiet window.
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
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { CoreEvent, OrderView } from '../server/src/core/api.js';
import { openHistoryStore } from '../server/src/history/index.js';
import { PostgresHistory } from '../server/src/history/postgres-history.js';
import { PostgresHistoryProjection } from '../server/src/history/postgres-projection.js';
import { connectPostgres } from '../server/src/storage/postgres.js';
import type autocannon from 'autocannon';
import { benchDatabase, deleteRedisKeys, processCpuMicros, run as runOnce, startBenchService as startService, startProcess, type Figures } from './support/signed-rest.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, 'cpu-prof-dir': { type: 'string' }, sections: { type: 'string', default: 'all' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

const run = (name: string, opts: autocannon.Options): Promise<Figures> => runOnce(name, opts, { connections, duration });
const startBenchService = (extraEnv: Record<string, string>) =>
  startService(extraEnv, values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof-dir']] : []);

async function main(): Promise<void> {
  if (values.sections === 'orders') return ordersOnly();
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
  await bare.stop();

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

/** The bare express POST ceiling and signed create-order, nothing else. */
async function ordersOnly(): Promise<void> {
  const bare = await startProcess(['bench/bare-express.ts'], { PORT: '0' }, 'bare express listening');
  const bareCpu = processCpuMicros(bare.child.pid);
  const ceiling = await run('bare express POST JSON', { url: `http://127.0.0.1:${bare.port}/echo`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' }) });
  const bareCpuPerRequest = cpuPerRequest(bareCpu, processCpuMicros(bare.child.pid), ceiling.total);
  await bare.stop();
  const single = await startBenchService({});
  const singleCpu = processCpuMicros(single.pid);
  const place = await run('signed POST /v1/orders', single.placeOrders());
  const orderCpu = cpuPerRequest(singleCpu, processCpuMicros(single.pid), place.total);
  await single.stop();
  process.stdout.write(`signed create-order / bare express POST = ${((100 * place.rps) / ceiling.rps).toFixed(1)} % (target >= 50 %), p99 ${place.p99} ms vs bare ${ceiling.p99} ms (target <= 2x)\n`);
  process.stdout.write(`server CPU per request: bare POST ${bareCpuPerRequest} µs, create-order ${orderCpu} µs\n`);
}

/** CPU µs per request between two readings, or '?' where /proc is not available. */
function cpuPerRequest(before: number | undefined, after: number | undefined, requests: number): string {
  return before === undefined || after === undefined || requests === 0 ? '?' : String(Math.round((after - before) / requests));
}

/** Signed create-order with the embedded stores, then with Redis and PostgreSQL; then the history copy's fills/s. */
async function external(): Promise<void> {
  process.stdout.write('\nExternal stores (STORES=external) against embedded, in one run:\n');
  const embeddedSvc = await startBenchService({});
  const embeddedPlace = await run('embedded: signed POST /v1/orders', embeddedSvc.placeOrders());
  await embeddedSvc.stop();
  const database = await benchDatabase('rest');
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

await main();
