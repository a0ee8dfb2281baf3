/**
 * A bounded soak (`npm run bench:soak -- --minutes 5`): the whole service in this process on
 * loopback, in demo mode (the market-making bot trades on three books) plus one REST client
 * placing and cancelling an order with a clientOrderId at --rate per second, and one WebSocket
 * client subscribed to the BTC-USD book. Every --every seconds it prints process.memoryUsage()
 * (RSS, heap used, external, array buffers), the kernel's split of RSS (anonymous memory against
 * mapped files), open file descriptors and the size of the data files, so growth can be
 * attributed: a growing heap is a JavaScript leak, growing anonymous RSS with a flat heap is
 * native memory (SQLite page caches, the replica thread's heap, the allocator).
 *
 * With --heap-snapshots DIR it also writes V8 heap snapshots of the main thread at the minutes
 * listed in --snapshot-at (default: 2, half-way, the end); `npm run heap-diff -- A B` compares
 * two of them by constructor. Writing one stops the process for a few seconds.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import WebSocket from 'ws';
import { validateConfig } from '../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { createLogger } from '../server/src/observability/logger.js';
import { startService } from '../server/src/service.js';
import { signedFetch } from '../test/helpers/signing.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' }, every: { type: 'string', default: '30' }, rate: { type: 'string', default: '20' },
    'heap-snapshots': { type: 'string' }, 'snapshot-at': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const heapDir = values['heap-snapshots'];
if (heapDir !== undefined) mkdirSync(heapDir, { recursive: true });
const snapshotAt = (values['snapshot-at'] ?? `${Math.min(2, minutes)},${minutes / 2},${minutes}`).split(',').map(Number).sort((a, b) => a - b);
const dataDir = mkdtempSync(join(tmpdir(), 'soak-'));
const config = validateConfig({
  ...structuredClone(DEFAULT_CONFIG), dataDir, mode: 'demo',
  http: { ...DEFAULT_CONFIG.http, port: 0 }, fix: { ...DEFAULT_CONFIG.fix, enabled: false },
  limits: { keyWeightPerSecond: 100_000, ipWeightPerSecond: 100_000, ordersPerSecond: 10_000, ordersPer10Seconds: 100_000 },
});
const service = await startService({ config, logger: createLogger('warn'), demoBot: true });
const base = `http://127.0.0.1:${service.httpPort}`;
const operator = { keyId: service.operator.keyId, secret: service.operator.secret };
await signedFetch(base, operator, 'POST', '/v1/operator/accounts', { body: { accountId: 'soak' } });
await signedFetch(base, operator, 'POST', '/v1/operator/accounts/soak/deposits', { body: { asset: 'USD', amount: '100000000' } });
const key = await signedFetch(base, operator, 'POST', '/v1/operator/accounts/soak/api-keys', { body: { label: 'soak', scopes: ['read', 'trade'] } });
const trader = { keyId: key.body.key.keyId as string, secret: key.body.secret as string };

const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`);
ws.on('open', () => ws.send(JSON.stringify({ id: 1, op: 'subscribe', args: { channel: 'book', symbol: 'BTC-USD', depth: 10 } })));
let frames = 0;
ws.on('message', () => frames++);

const mib = (n: number) => (n / 2 ** 20).toFixed(1);
/** The kernel's split of this process's RSS: anonymous memory (heaps, malloc) against file pages. */
function rssSplit(): { anon: number; file: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { anon: kib('RssAnon'), file: kib('RssFile') + kib('RssShmem') };
}
const openFiles = () => readdirSync('/proc/self/fd').length;
/** A SQLite database's size on disk, its write-ahead log included. */
const fileSize = (name: string) => ['', '-wal', '-shm'].reduce((sum, suffix) => {
  try {
    return sum + statSync(join(dataDir, name + suffix)).size;
  } catch {
    return sum;
  }
}, 0);
console.log('| minute | RSS MiB | anon MiB | file MiB | heap used MiB | heap total MiB | external MiB | array buffers MiB | fds | history.db MiB | request-cache.db MiB | orders | WS frames |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const start = Date.now();
let orders = 0;
const sample = () => {
  const m = process.memoryUsage();
  const split = rssSplit();
  console.log(`| ${((Date.now() - start) / 60_000).toFixed(1)} | ${mib(m.rss)} | ${mib(split.anon)} | ${mib(split.file)} | ${mib(m.heapUsed)} | ${mib(m.heapTotal)} | ${mib(m.external)} | ${mib(m.arrayBuffers)} | ${openFiles()} | ${mib(fileSize('history.db'))} | ${mib(fileSize('request-cache.db'))} | ${orders} | ${frames} |`);
  const minute = (Date.now() - start) / 60_000;
  if (heapDir !== undefined && snapshotAt.length > 0 && minute >= snapshotAt[0]! - 1e-9) {
    snapshotAt.shift();
    const file = writeHeapSnapshot(join(heapDir, `soak-${minute.toFixed(1).padStart(5, '0')}min.heapsnapshot`));
    console.log(`<!-- heap snapshot ${file} -->`);
  }
};
sample();
const timer = setInterval(sample, Number(values.every) * 1000);
const end = start + minutes * 60_000;
const gap = 1000 / Number(values.rate);
while (Date.now() < end) {
  const t = Date.now();
  const placed = await signedFetch(base, trader, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '1000.00', quantity: '0.01', clientOrderId: `soak-${orders}` } });
  if (placed.status === 201) await signedFetch(base, trader, 'DELETE', `/v1/orders/${placed.body.order.orderId}`);
  orders++;
  const wait = gap - (Date.now() - t);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
clearInterval(timer);
sample();
ws.close();
await service.close();
rmSync(dataDir, { recursive: true, force: true });
