/**
 * FIX market-data benchmark: N market-data sessions subscribed to BTC-USD depth 10 through the
 * real acceptor; orders submitted to the in-memory sequencer at --rate per second for --seconds,
 * each one a new best bid (so it changes every session's top 10). Measures, per session, the time
 * from the order's submission to the MarketDataIncrementalRefresh (X) carrying its book sequence.
 * The clients run in a worker thread, off the acceptor's event loop.
 *
 *   npm run bench:fix-md                                   # 20 sessions, 1,000 orders/s, 10 s
 *   npm run bench:fix-md -- --sessions 50 --rate 2000 --seconds 5
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { build } from 'hdr-histogram-js';
import pino from 'pino';
import { fixLogonPrehash } from '../server/src/auth/canonical.js';
import { MemoryApiKeyStore } from '../server/src/auth/memory-key-store.js';
import { RequestVerifier } from '../server/src/auth/verifier.js';
import { createCore } from '../server/src/core/index.js';
import { startFixAcceptor } from '../server/src/gateway/fix/acceptor.js';
import { ORDER_POLICIES, OrderRateLimiter } from '../server/src/limits/index.js';
import { OrderEntry } from '../server/src/order-entry/order-entry.js';
import { createInMemorySequencer } from '../server/src/sequencer/in-memory.js';
import { MemoryIdempotencyStore } from '../server/src/storage/idempotency-store.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SESSIONS = arg('sessions', 20);
const RATE = arg('rate', 1_000);
const SECONDS = arg('seconds', 10);

const CLIENT = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const net = require('node:net');
const SOH = '\x01';
function cks(s) { let n = 0; for (let i = 0; i < s.length; i++) n += s.charCodeAt(i); n &= 255; return n < 10 ? '00' + n : n < 100 ? '0' + n : '' + n; }
function msg(body) { const head = '8=FIX.4.4' + SOH + '9=' + body.length + SOH; const t = head + body; return t + '10=' + cks(t) + SOH; }
function field(f, tag) { const i = f.indexOf(SOH + tag + '='); if (i < 0) return undefined; const j = f.indexOf(SOH, i + 1); return f.slice(i + tag.length + 2, j); }
function lastField(f, tag) { const i = f.lastIndexOf(SOH + tag + '='); if (i < 0) return undefined; const j = f.indexOf(SOH, i + 1); return f.slice(i + tag.length + 2, j); }
const { port, target, logons } = workerData;
const received = logons.map(() => []);
let ready = 0;
logons.forEach((logon, n) => {
  let seq = 1;
  const header = (type, time) => '35=' + type + SOH + '49=' + logon.sender + SOH + '56=' + target + SOH + '34=' + (seq++) + SOH + '52=' + time + SOH;
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let buf = '';
  socket.on('data', (chunk) => {
    const at = performance.timeOrigin + performance.now();
    buf += chunk.toString('latin1');
    let start = 0;
    for (;;) {
      const end = buf.indexOf(SOH + '10=', start);
      if (end < 0 || buf.length < end + 8) break;
      const f = buf.slice(start, end + 8);
      start = end + 8;
      const type = field(f, '35');
      if (type === 'A') socket.write(msg(header('V', logon.time) + '262=bench' + SOH + '263=1' + SOH + '264=10' + SOH + '265=1' + SOH + '267=2' + SOH + '269=0' + SOH + '269=1' + SOH + '146=1' + SOH + '55=BTC-USD' + SOH), 'latin1');
      else if (type === 'W' && ++ready === logons.length) parentPort.postMessage({ phase: 'ready' });
      else if (type === 'X') received[n].push([Number(lastField(f, '83')), at]);
      else if (type === '5' || type === '3' || type === 'Y') parentPort.postMessage({ phase: 'error', text: f });
    }
    buf = buf.slice(start);
  });
  socket.on('connect', () => socket.write(msg(header('A', logon.time) + '98=0' + SOH + '108=30' + SOH + '141=Y' + SOH + '553=' + logon.keyId + SOH + '554=' + logon.signature + SOH), 'latin1'));
});
parentPort.on('message', (m) => { if (m === 'report') parentPort.postMessage({ phase: 'report', received }); });
`;

async function main(): Promise<void> {
  const silent = pino({ level: 'silent' });
  const bus = createInMemorySequencer(createCore(), undefined, silent);
  await bus.submit({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
  await bus.submit({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  await bus.submit({ type: 'AddInstrument', spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' } });
  await bus.submit({ type: 'CreateAccount', accountId: 'bench', maxOpenOrders: 1_000_000 });
  await bus.submit({ type: 'Deposit', accountId: 'bench', asset: 'USD', amount: '1000000000' });
  const keyStore = new MemoryApiKeyStore();
  const dataDir = mkdtempSync(join(tmpdir(), 'fix-md-bench-'));
  const orders = new OrderEntry({
    bus, history: undefined, clock: Date.now, idempotency: new MemoryIdempotencyStore(),
    orderLimiter: new OrderRateLimiter({ policies: ORDER_POLICIES.map((p) => ({ ...p, quota: 100_000_000 })) }),
  });
  const acceptor = await startFixAcceptor({ bus, orders, authenticator: new RequestVerifier({ store: keyStore }), dataDir, compId: 'EXCH', logger: silent });
  const time = new Date().toISOString().replace(/-/g, '').replace('T', '-').replace('Z', '');
  const logons = [];
  for (let n = 0; n < SESSIONS; n++) {
    const sender = `MD${n}`;
    const created = await keyStore.create({ accountId: `reader-${n}`, kind: 'hmac', label: sender, scopes: ['read'], senderCompId: sender, fixSession: { marketData: true } });
    const signature = createHmac('sha256', Buffer.from(created.secret!, 'base64url'))
      .update(fixLogonPrehash({ sendingTime: time, msgType: 'A', msgSeqNum: 1, senderCompId: sender, targetCompId: 'EXCH' }))
      .digest('base64');
    logons.push({ sender, keyId: created.record.keyId, signature, time });
  }

  const worker = new Worker(CLIENT, { eval: true, workerData: { port: acceptor.port, target: 'EXCH', logons } });
  const next = (phase: string) => new Promise<{ phase: string; received?: Array<Array<[number, number]>>; text?: string }>((resolve, reject) => {
    const on = (m: { phase: string; text?: string }) => {
      if (m.phase === 'error') reject(new Error(`client got ${m.text}`));
      else if (m.phase === phase) {
        worker.off('message', on);
        resolve(m);
      }
    };
    worker.on('message', on);
    worker.once('error', reject);
  });
  await next('ready');

  // Each order is a new best bid: it enters every session's top 10 and pushes the tenth out.
  const submittedAt = new Map<number, number>();
  const total = RATE * SECONDS;
  const load = loadavg()[0]!;
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      for (; sent < due; sent++) {
        const at = performance.timeOrigin + performance.now();
        const price = (1_000_000 + sent).toString().replace(/(\d\d)$/, '.$1');
        void bus.submit({ type: 'PlaceOrder', accountId: 'bench', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price, quantity: '0.001', timeInForce: 'GTC' }).then((r) => {
          if (!r.ok) throw new Error(`order refused: ${r.code} ${r.message}`);
          for (const e of r.events) if (e.type === 'BookLevelChanged') submittedAt.set(e.bookSeq, at);
        });
      }
      if (sent < total) setTimeout(tick, 1);
      else setTimeout(resolve, 2_000); // the last updates' way out
    };
    tick();
  });
  const elapsed = (performance.now() - t0) / 1000;
  worker.postMessage('report');
  const { received } = await next('report');
  await worker.terminate();
  await acceptor.close();
  rmSync(dataDir, { recursive: true, force: true });

  const hist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  // One X carries every change of a batch under the batch's last book sequence: an order's change
  // reached a session with the first X whose RptSeq is at least the order's book sequence.
  const seqs = [...submittedAt.keys()].sort((a, b) => a - b);
  let updates = 0;
  let missing = 0;
  for (const session of received!) {
    let i = 0;
    for (const [rptSeq, at] of session) {
      updates++;
      for (; i < seqs.length && seqs[i]! <= rptSeq; i++) hist.recordValue(Math.max(1, Math.round((at - submittedAt.get(seqs[i]!)!) * 1000)));
    }
    missing += seqs.length - i;
  }
  console.log(JSON.stringify({ sessions: SESSIONS, rate: RATE, seconds: SECONDS, orders: total, updates, missing, updatesPerSecond: Math.round(updates / elapsed), p50us: hist.getValueAtPercentile(50), p99us: hist.getValueAtPercentile(99), maxUs: hist.maxValue }));
  console.log(`\nFIX market data, ${SESSIONS} sessions at depth 10, ${cpus().length} cores, Node ${process.version}, load average ${load.toFixed(1)} at the start`);
  console.log(`${total.toLocaleString('en')} book changes at ${RATE}/s: ${updates.toLocaleString('en')} X delivered, ${Math.round(updates / elapsed).toLocaleString('en')}/s (${missing} changes some session never got in an X)`);
  console.log(`order submitted -> X received: p50 ${(hist.getValueAtPercentile(50) / 1000).toFixed(3)} ms, p99 ${(hist.getValueAtPercentile(99) / 1000).toFixed(3)} ms, max ${(hist.maxValue / 1000).toFixed(3)} ms`);
}

await main();
