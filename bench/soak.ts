/**
 * A bounded soak (`npm run bench:soak -- --minutes 5`): the whole service in this process on
 * loopback, in demo mode (the market-making bot trades on three books) plus one REST client
 * placing and cancelling an order with a clientOrderId at --rate per second, and one WebSocket
 * client subscribed to the BTC-USD book. Every --every seconds it prints process.memoryUsage()
 * (RSS, heap used, external, array buffers), so growth can be attributed: a growing heap is a
 * JavaScript leak, growing RSS with a flat heap is native memory (SQLite page caches, allocator).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { validateConfig } from '../server/src/config/load.js';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { createLogger } from '../server/src/observability/logger.js';
import { startService } from '../server/src/service.js';
import { signedFetch } from '../test/helpers/signing.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, every: { type: 'string', default: '30' }, rate: { type: 'string', default: '20' } } });
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
console.log('| minute | RSS MiB | heap used MiB | external MiB | array buffers MiB | orders | WS frames |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const start = Date.now();
let orders = 0;
const sample = () => {
  const m = process.memoryUsage();
  console.log(`| ${((Date.now() - start) / 60_000).toFixed(1)} | ${mib(m.rss)} | ${mib(m.heapUsed)} | ${mib(m.external)} | ${mib(m.arrayBuffers)} | ${orders} | ${frames} |`);
};
sample();
const timer = setInterval(sample, Number(values.every) * 1000);
const end = start + Number(values.minutes) * 60_000;
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
