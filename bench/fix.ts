/**
 * FIX acceptor benchmark: one session, NewOrderSingle in, ExecutionReport (New) out, through the
 * real acceptor, order entry, session store (the append-only file, fdatasync per commit), in-memory sequencer and core. The
 * client runs in a worker thread so it does not share the acceptor's event loop; with --client-process it runs in a
 * process of its own, so its heap and collector are not the acceptor's either (integrators are other processes).
 *
 *   npm run bench:fix                     # both phases
 *   npm run bench:fix -- --orders 200000  # throughput phase size
 *   npm run bench:fix -- --client-process # the client in its own process (same pacing and timing)
 *   npm run bench:fix -- --quickfix       # against a QuickFIX/C++ acceptor instead (bench/quickfix/)
 *   npm run bench:fix -- --service-bus    # the service's bus: the durable sequencer (journal, fdatasync, history
 *                                         # replica) behind the metrics-counting bus, instead of the in-memory one
 *
 * Phase 1 (throughput): as many orders as possible, at most --window unacknowledged.
 * Phase 2 (latency): --rate orders/s for --seconds, round trip D -> 8 (New) per order.
 * --quickfix: one QuickFIX/C++ initiator sends --burst orders (5,000) to our acceptor, then to a
 * QuickFIX/C++ acceptor, alternating for --rounds rounds (10) after --warmup rounds (1); medians
 * and their ratio.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { fixLogonPrehash } from '../server/src/auth/canonical.js';
import { MemoryApiKeyStore } from '../server/src/auth/memory-key-store.js';
import { RequestVerifier } from '../server/src/auth/verifier.js';
import { createCore } from '../server/src/core/index.js';
import { DEFAULT_DICTIONARY_PATH, startFixAcceptor } from '../server/src/gateway/fix/acceptor.js';
import { ORDER_POLICIES, OrderRateLimiter } from '../server/src/limits/index.js';
import { OrderEntry } from '../server/src/order-entry/order-entry.js';
import { createInMemorySequencer } from '../server/src/sequencer/in-memory.js';
import { openDurableSequencer } from '../server/src/sequencer/durable.js';
import type { CommandBus } from '../server/src/sequencer/api.js';
import { instrumentBus } from '../server/src/observability/instrumented-bus.js';
import { disabledTracing } from '../server/src/observability/tracing.js';
import { createTradingMetrics } from '../server/src/observability/trading-metrics.js';
import { Registry } from 'prom-client';
import { MemoryIdempotencyStore } from '../server/src/storage/idempotency-store.js';
import { compareWithQuickfix } from './quickfix/compare.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ORDERS = arg('orders', 100_000);
const WINDOW = arg('window', 2_000);
const RATE = arg('rate', 5_000);
const SECONDS = arg('seconds', 10);
const SYNC = process.argv.includes('--sync-normal') ? 'NORMAL' : 'FULL';
const QUICKFIX = process.argv.includes('--quickfix');
const ROUNDS = arg('rounds', 10);
const WARMUP = arg('warmup', 1);
const BURST = arg('burst', 5_000);

const CLIENT_PROCESS = process.argv.includes('--client-process');
const SERVICE_BUS = process.argv.includes('--service-bus');

// The client's source runs either as a worker thread of this process or, with --client-process,
// as a process of its own (fed its settings by environment, reporting over the IPC channel).
const CLIENT = String.raw`
const threads = require('node:worker_threads');
const parentPort = threads.parentPort ?? { postMessage: (m) => process.send(m) };
const workerData = threads.workerData ?? JSON.parse(process.env.FIX_BENCH_CLIENT);
const net = require('node:net');
const { build } = require('hdr-histogram-js');
const SOH = '\x01';
function cks(s) { let n = 0; for (let i = 0; i < s.length; i++) n += s.charCodeAt(i); n &= 255; return n < 10 ? '00' + n : n < 100 ? '0' + n : '' + n; }
function pad(n, w = 2) { return String(n).padStart(w, '0'); }
function stamp(ms) { const d = new Date(ms); return d.getUTCFullYear() + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()) + '-' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + '.' + pad(d.getUTCMilliseconds(), 3); }
function msg(body) { const head = '8=FIX.4.4' + SOH + '9=' + body.length + SOH; const t = head + body; return t + '10=' + cks(t) + SOH; }
const { port, sender, target, keyId, signature, logonTime, orders, window, rate, seconds } = workerData;
let seq = 1;
function header(type) { return '35=' + type + SOH + '49=' + sender + SOH + '56=' + target + SOH + '34=' + (seq++) + SOH + '52=' + stamp(Date.now()) + SOH; }
function order(id, side, price) { return msg(header('D') + '11=' + id + SOH + '55=BTC-USD' + SOH + '54=' + side + SOH + '60=' + stamp(Date.now()) + SOH + '38=0.01' + SOH + '40=2' + SOH + '44=' + price + SOH); }
const socket = net.connect(port, '127.0.0.1');
socket.setNoDelay(true);
let buf = '';
let onFrame = () => {};
socket.on('data', (chunk) => {
  buf += chunk.toString('latin1');
  let start = 0;
  for (;;) {
    const end = buf.indexOf(SOH + '10=', start);
    if (end < 0 || buf.length < end + 8) break;
    onFrame(buf.slice(start, end + 8));
    start = end + 8;
  }
  buf = buf.slice(start);
});
function field(f, tag) { const i = f.indexOf(SOH + tag + '='); if (i < 0) return undefined; const j = f.indexOf(SOH, i + 1); return f.slice(i + tag.length + 2, j); }
socket.on('connect', () => {
  socket.write(msg('35=A' + SOH + '49=' + sender + SOH + '56=' + target + SOH + '34=' + (seq++) + SOH + '52=' + logonTime + SOH + '98=0' + SOH + '108=30' + SOH + '141=Y' + SOH + '553=' + keyId + SOH + '554=' + signature + SOH), 'latin1');
});
onFrame = (f) => { if (field(f, '35') === 'A') throughput(); };
function throughput() {
  let sent = 0, acked = 0, rejected = 0;
  const started = process.hrtime.bigint();
  onFrame = (f) => {
    if (field(f, '35') !== '8') return;
    if (field(f, '150') === '0') acked++; else { if (rejected++ === 0) parentPort.postMessage({ phase: 'first-reject', text: field(f, '58') }); }
    if (acked + rejected === orders) {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      parentPort.postMessage({ phase: 'throughput', orders, seconds: secs, ordersPerSecond: orders / secs, rejected });
      latency();
    } else pump();
  };
  function pump() {
    let chunk = '';
    while (sent < orders && sent - acked - rejected < window) { const i = sent++; chunk += order('T' + i, i % 2 ? '2' : '1', i % 2 ? '200' : '100'); }
    if (chunk) socket.write(chunk, 'latin1');
  }
  pump();
}
function latency() {
  const total = rate * seconds;
  const hist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const sentAt = new Map();
  let sent = 0, done = 0, rejected = 0;
  onFrame = (f) => {
    if (field(f, '35') !== '8') return;
    const id = field(f, '11');
    const t0 = sentAt.get(id);
    if (t0 === undefined) return;
    sentAt.delete(id);
    hist.recordValue(Number(process.hrtime.bigint() - t0) / 1000);
    if (field(f, '150') !== '0') rejected++;
    if (++done === total) {
      parentPort.postMessage({ phase: 'latency', rate, orders: total, rejected, p50us: hist.getValueAtPercentile(50), p99us: hist.getValueAtPercentile(99), p999us: hist.getValueAtPercentile(99.9), maxUs: hist.maxValue });
      socket.end();
    }
  };
  const t0 = process.hrtime.bigint();
  const tick = () => {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - t0) / 1e9) * rate));
    while (sent < due) { const id = 'L' + sent; const side = sent % 2 ? '2' : '1'; sentAt.set(id, process.hrtime.bigint()); socket.write(order(id, side, side === '2' ? '200' : '100'), 'latin1'); sent++; }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
}
`;

/** Our acceptor as the service composes it: order entry, the session file, the in-memory sequencer (or the service's bus) and core. */
async function startOurs() {
  const silent = pino({ level: 'silent' });
  const dataDir = mkdtempSync(join(tmpdir(), 'fix-bench-'));
  const { bus, closeBus } = await openBus(dataDir, silent);
  await bus.submit({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
  await bus.submit({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  await bus.submit({ type: 'AddInstrument', spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.0001', minQuantity: '0.0001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' } });
  await bus.submit({ type: 'CreateAccount', accountId: 'bench', maxOpenOrders: 1_000_000 });
  await bus.submit({ type: 'Deposit', accountId: 'bench', asset: 'USD', amount: '1000000000' });
  await bus.submit({ type: 'Deposit', accountId: 'bench', asset: 'BTC', amount: '10000000' });
  const keyStore = new MemoryApiKeyStore();
  const created = await keyStore.create({ accountId: 'bench', kind: 'hmac', label: 'bench', scopes: ['trade'], senderCompId: 'BENCH' });
  // Orders go through order entry as in the service; the budget is set high enough not to refuse.
  const orders = new OrderEntry({
    bus, history: undefined, clock: Date.now, idempotency: new MemoryIdempotencyStore(),
    orderLimiter: new OrderRateLimiter({ policies: ORDER_POLICIES.map((p) => ({ ...p, quota: 100_000_000 })) }),
  });
  const acceptor = await startFixAcceptor({ bus, orders, authenticator: new RequestVerifier({ store: keyStore }), dataDir, compId: 'EXCH', logger: silent, storeSynchronous: SYNC });
  const close = async () => {
    await acceptor.close();
    await closeBus();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { port: acceptor.port, keyId: created.record.keyId, secret: created.secret!, close };
}

/** The bus orders go to: the in-memory sequencer, or with --service-bus the one the service builds. */
async function openBus(dataDir: string, silent: pino.Logger): Promise<{ bus: CommandBus; closeBus: () => Promise<void> }> {
  if (!SERVICE_BUS) return { bus: createInMemorySequencer(createCore(), undefined, silent), closeBus: async () => {} };
  const durable = await openDurableSequencer({ dataDir: join(dataDir, 'data'), logger: silent });
  return { bus: instrumentBus(durable, createTradingMetrics(new Registry()), disabledTracing().tracer), closeBus: () => durable.close() };
}

async function quickfixComparison(): Promise<void> {
  const ours = await startOurs();
  try {
    const c = await compareWithQuickfix({ ourPort: ours.port, keyId: ours.keyId, secret: ours.secret, dictionary: DEFAULT_DICTIONARY_PATH, rounds: ROUNDS, warmup: WARMUP, burst: BURST });
    const rejected = c.bursts.reduce((n, b) => n + b.rejected, 0);
    const ratio = c.oursMedian / c.quickfixMedian;
    const n = (x: number) => Math.round(x).toLocaleString('en');
    console.log(`\nFIX against QuickFIX/C++ ${quickfixVersion()}, ${cpus().length} cores, Node ${process.version}, our session store synchronous=${SYNC}${SERVICE_BUS ? ', the service\'s bus (durable)' : ''}`);
    console.log(`${ROUNDS} alternating rounds of ${BURST.toLocaleString('en')}-order bursts after ${WARMUP} warm-up; ours faster in ${c.oursFaster} of ${ROUNDS}${rejected ? `; ${rejected} orders REJECTED` : ''}`);
    console.log(`ours: median ${n(c.oursMedian)} orders/s (target >= 50,000): ${c.oursMedian >= 50_000 ? 'met' : 'MISSED'}`);
    console.log(`QuickFIX/C++ acceptor: median ${n(c.quickfixMedian)} orders/s`);
    console.log(`ratio ours / QuickFIX: ${ratio.toFixed(2)} (target >= 1.3): ${ratio >= 1.3 ? 'met' : 'MISSED'}`);
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    console.log(`initiator CPU during the bursts (median, share of one core): ${pct(c.oursDriverShare)} against ours, ${pct(c.quickfixDriverShare)} against QuickFIX`);
  } finally {
    await ours.close();
  }
}

/** The Debian package's version (its pkg-config file carries an older number than the library). */
function quickfixVersion(): string {
  try {
    return `libquickfix-dev ${execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'libquickfix-dev'], { encoding: 'utf8' }).trim()}`;
  } catch {
    return '(version unknown)';
  }
}

async function phases(): Promise<void> {
  const ours = await startOurs();
  const logonTime = new Date().toISOString().replace(/-/g, '').replace('T', '-').replace('Z', '');
  const signature = createHmac('sha256', Buffer.from(ours.secret, 'base64url'))
    .update(fixLogonPrehash({ sendingTime: logonTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'BENCH', targetCompId: 'EXCH' }))
    .digest('base64');
  const results: unknown[] = [];
  const settings = { port: ours.port, sender: 'BENCH', target: 'EXCH', keyId: ours.keyId, signature, logonTime, orders: ORDERS, window: WINDOW, rate: RATE, seconds: SECONDS };
  await (CLIENT_PROCESS ? runClientProcess(settings, results) : runClientWorker(settings, results));
  await ours.close();
  const [tp, lat] = results as [{ ordersPerSecond: number }, { p50us: number; p99us: number }];
  console.log(`\nFIX one session, ${cpus().length} cores, Node ${process.version}, session store synchronous=${SYNC}${SERVICE_BUS ? ', the service\'s bus (durable)' : ''}, client in ${CLIENT_PROCESS ? 'a process of its own' : 'a worker thread'}`);
  console.log(`throughput: ${Math.round(tp.ordersPerSecond).toLocaleString('en')} orders/s (target >= 50,000): ${tp.ordersPerSecond >= 50_000 ? 'met' : 'MISSED'}`);
  console.log(`round trip at ${RATE}/s: p50 ${(lat.p50us / 1000).toFixed(3)} ms, p99 ${(lat.p99us / 1000).toFixed(3)} ms (target p99 < 1 ms): ${lat.p99us < 1000 ? 'met' : 'MISSED'}`);
}

type ClientSettings = Record<string, string | number>;

function collect(m: unknown, results: unknown[]): boolean {
  results.push(m);
  console.log(JSON.stringify(m));
  return (m as { phase: string }).phase === 'latency';
}

function runClientWorker(settings: ClientSettings, results: unknown[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: settings });
    worker.on('message', (m) => {
      if (collect(m, results)) void worker.terminate().then(() => resolve());
    });
    worker.on('error', reject);
  });
}

/** The client as an integrator runs it: another process, with its own heap, collector and event loop. */
function runClientProcess(settings: ClientSettings, results: unknown[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT], {
      env: { ...process.env, FIX_BENCH_CLIENT: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let done = false;
    child.on('message', (m) => {
      if (collect(m, results)) {
        done = true;
        child.kill();
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (done ? resolve() : reject(new Error(`FIX bench client exited with ${code}`))));
  });
}

await (QUICKFIX ? quickfixComparison() : phases());
