/**
 * WebSocket benchmark (`npm run bench:ws`). The gateway (real core, in-memory command bus, shared
 * auth, limits and order entry) runs in this process; the clients run in a child process.
 *
 * 1. Fan-out: --clients connections each subscribe to the BTC-USD book (depth 10) and trades.
 *    A load generator submits batches (a resting sell and a market buy that trades with the best
 *    ask) at fixed rates; each batch gives every client one book.update and one trades frame.
 *    Per rate: frames delivered/s and the delivery latency (from the submit of the batch to the
 *    frame's arrival in the client process), sampled on --sample connections spread over the set.
 * 2. Ceiling: a bare `ws` server broadcasting frames of the same average size to the same number
 *    of clients, as fast as the clients take them (it waits while any has 256 KiB queued).
 * 3. Order entry: --order-rate placeOrder requests/s over --order-connections logged-in
 *    connections for --order-seconds; round trip from send to reply, with the in-memory bus and
 *    then with the durable (journaled, fdatasync) bus.
 *
 * 4. Acknowledgements vs subscribers: REST and WebSocket order acknowledgement p50/p99 with
 *    --ack-subscribers (default 0,1000,5000,10000) book subscribers, durable bus, in one run.
 *
 *   npm run bench:ws [-- --clients 1000 --seconds 4 --rates 25,50,75,100 --order-rate 1000]
 *   npm run bench:ws -- --only-ack --ack-subscribers 0,1000,5000,10000 --ack-seconds 5
 *   ... --delivery-budget-us 1000 --sends-per-turn 1024   # the gateway's delivery settings for the run
 *   ... --clients-nice 10   # the client process's niceness (default 10: it stands for other machines; 0 to share the CPU evenly)
 *   npm run bench:ws -- --clients 10000 --steps 2x1,5x1,10x1 --ack-subscribers '' --order-rate 0   # fan-out vs ceiling only
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { MemoryApiKeyStore, RequestVerifier } from '../server/src/auth/index.js';
import { DEFAULT_ASSETS, DEFAULT_INSTRUMENTS } from '../server/src/config/defaults.js';
import type { Command } from '../server/src/core/api.js';
import { createCore } from '../server/src/core/index.js';
import { DEFAULT_WS_CONFIG } from '../server/src/gateway/ws/config.js';
import { attachWsGateway, type WsGateway } from '../server/src/gateway/ws/index.js';
import { OrderRateLimiter, RequestRateLimiter, type RateLimitPolicy } from '../server/src/limits/index.js';
import { OrderEntry } from '../server/src/order-entry/order-entry.js';
import type { CommandBus } from '../server/src/sequencer/api.js';
import { openDurableSequencer } from '../server/src/sequencer/durable.js';
import { createInMemorySequencer } from '../server/src/sequencer/in-memory.js';
import { MemoryIdempotencyStore } from '../server/src/storage/idempotency-store.js';

const { build } = createRequire(import.meta.url)('hdr-histogram-js') as typeof import('hdr-histogram-js');

const wallClock = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Client process
// ---------------------------------------------------------------------------------------------

type ToClients =
  | { cmd: 'connect'; url: string; count: number; subscribe: unknown[] }
  | { cmd: 'measure'; ms: number; sample: number }
  | { cmd: 'orders'; url: string; traders: Creds[]; connections: number; rate: number; seconds: number }
  | { cmd: 'disconnect' };

/** `sampledFrames` and `sampledUpdates`: frames and the updates they carry (levels + trades) on the sampled connections. */
interface MeasureReport { frames: number; bytes: number; seqs: number[]; times: number[]; sampledFrames: number; sampledUpdates: number; ms: number }
interface OrdersReport { sent: number; replies: number; errors: number; p50: number; p99: number; p999: number; max: number }
interface Creds { keyId: string; secret: string }

let lastTimestamp = 0;
function loginArgs(creds: Creds) {
  const timestamp = (lastTimestamp = Math.max(Date.now(), lastTimestamp + 1));
  const message = `${timestamp}\nGET\n/v1/ws\n${createHash('sha256').update('').digest('hex')}`;
  return { keyId: creds.keyId, timestamp, signature: createHmac('sha256', Buffer.from(creds.secret, 'base64url')).update(message).digest('base64') };
}

/** Opens a connection and sends `requests` once welcomed, resolving when each has been answered. */
function open(url: string, requests: unknown[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let pending = requests.length;
    const done = () => {
      ws.off('message', onMessage);
      resolve(ws);
    };
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type === 'welcome') {
        if (pending === 0) done();
        else requests.forEach((r, i) => ws.send(JSON.stringify({ id: i + 1, ...(r as object) })));
      } else if (frame.type === 'error') {
        reject(new Error(`request failed: ${data.toString()}`));
      } else if (frame.type === 'reply' && --pending === 0) {
        done();
      }
    };
    ws.once('error', reject);
    ws.on('message', onMessage);
  });
}

async function clientProcess(): Promise<void> {
  let sockets: WebSocket[] = [];
  let counting: Omit<MeasureReport, 'ms'> | undefined;
  const send = (m: unknown) => process.send!(m);

  const onFrame = (sample: boolean) => (data: Buffer) => {
    if (!counting) return;
    counting.frames++;
    counting.bytes += data.length;
    if (!sample) return;
    const at = data.indexOf('"seq":');
    if (at < 0) return;
    let seq = 0;
    for (let i = at + 6; i < data.length; i++) {
      const c = data[i]!;
      if (c < 48 || c > 57) break;
      seq = seq * 10 + (c - 48);
    }
    counting.seqs.push(seq);
    counting.times.push(wallClock());
    const frame = JSON.parse(data.toString()) as { type: string; bids?: unknown[]; asks?: unknown[]; trades?: unknown[] };
    counting.sampledFrames++;
    if (frame.type === 'book.update') counting.sampledUpdates += frame.bids!.length + frame.asks!.length;
    else counting.sampledUpdates += Array.isArray(frame.trades) ? frame.trades.length : 1;
  };

  process.on('message', async (m: ToClients) => {
    if (m.cmd === 'connect') {
      sockets = [];
      for (let i = 0; i < m.count; i += 50) {
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, m.count - i) }, () => open(m.url, m.subscribe)))));
      }
      sockets.forEach((ws) => ws.on('message', onFrame(false)));
      send({ connected: sockets.length });
    } else if (m.cmd === 'measure') {
      // Sample connections spread over the whole set: a broadcast reaches the last subscriber later than the first.
      const every = Math.max(1, Math.floor(sockets.length / m.sample));
      for (const [i, ws] of sockets.entries()) {
        ws.removeAllListeners('message');
        ws.on('message', onFrame(i % every === 0));
      }
      counting = { frames: 0, bytes: 0, seqs: [], times: [], sampledFrames: 0, sampledUpdates: 0 };
      const started = performance.now();
      setTimeout(() => {
        const report: MeasureReport = { ...counting!, ms: performance.now() - started };
        counting = undefined;
        send(report);
      }, m.ms);
    } else if (m.cmd === 'orders') {
      send(await orderLoad(m));
    } else {
      await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      })));
      sockets = [];
      send({ disconnected: true });
    }
  });
  send({ ready: true });
}

/** placeOrder at a steady rate, round-robin over logged-in connections; buyers and sellers cross at 100. */
async function orderLoad(m: Extract<ToClients, { cmd: 'orders' }>): Promise<OrdersReport> {
  const conns = await Promise.all(Array.from({ length: m.connections }, (_, i) => open(m.url, [{ op: 'login', args: loginArgs(m.traders[i % m.traders.length]!) }])));
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const sentAt = new Map<number, number>();
  let replies = 0;
  let errors = 0;
  conns.forEach((ws) => ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { type: string; id?: number };
    const t0 = frame.id === undefined ? undefined : sentAt.get(frame.id);
    if (t0 === undefined) return;
    sentAt.delete(frame.id!);
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    if (frame.type === 'reply') replies++;
    else errors++;
  }));
  const total = m.rate * m.seconds;
  let sent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * m.rate) / 1000));
      for (; sent < due; sent++) {
        const i = sent % conns.length;
        const side = i % 2 === 0 ? 'buy' : 'sell';
        const id = 1000 + sent;
        sentAt.set(id, performance.now());
        conns[i]!.send(JSON.stringify({ id, op: 'placeOrder', args: { symbol: 'BTC-USD', side, type: 'limit', price: '100', quantity: '0.01', timeInForce: 'GTC' } }));
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const deadline = Date.now() + 10_000;
  while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const ws of conns) ws.close();
  const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return { sent, replies, errors, p50: us(50), p99: us(99), p999: us(99.9), max: histogram.maxValue / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Server process (this one)
// ---------------------------------------------------------------------------------------------

class Clients {
  readonly #child: ChildProcess;
  #waiting: ((m: unknown) => void)[] = [];

  constructor(nice: number) {
    this.#child = fork(fileURLToPath(import.meta.url), ['--role=clients'], { execArgv: ['--import', 'tsx'] });
    this.#child.on('message', (m) => this.#waiting.shift()?.(m));
    // The clients stand for other machines: niced, they take the CPU the gateway leaves rather
    // than half of it (on one 2-core machine the 10,000 sockets' receiving side competes with
    // the gateway, its journal syncs and its replica thread).
    if (nice !== 0) setPriority(this.#child.pid!, nice);
  }

  ask<T>(m?: ToClients): Promise<T> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve as (m: unknown) => void);
      if (m) this.#child.send(m);
    });
  }

  kill(): void {
    this.#child.kill();
  }
}

interface Gateway {
  url: string;
  bus: CommandBus;
  gateway: WsGateway;
  server: Server;
  traders: Creds[];
  close(): Promise<void>;
}

const generous = (name: string, scope: 'key' | 'ip' | 'account'): RateLimitPolicy => ({ name, scope, quota: 1_000_000_000, windowSeconds: 1, description: 'bench' });

const numberFlag = (name: string) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined);
/** `--sends-per-turn N`: the gateway's `ws.sendsPerTurn`, its cap on sends per turn (default: the configured default). */
const SENDS_PER_TURN = numberFlag('--sends-per-turn');
/** `--delivery-budget-us N`: the gateway's `ws.deliveryBudgetMicros`, time per turn spent sending (default: the configured default). */
const DELIVERY_BUDGET_MICROS = numberFlag('--delivery-budget-us');

async function startGateway(bus: CommandBus, clients: number): Promise<Gateway> {
  const logger = pino({ level: 'silent' });
  const submit = async (command: Command) => {
    const r = await bus.submit(command);
    if (!r.ok) throw new Error(`${command.type}: ${r.code}`);
  };
  if (bus.core.instruments().length === 0) {
    for (const spec of DEFAULT_ASSETS) await submit({ type: 'AddAsset', spec });
    for (const spec of DEFAULT_INSTRUMENTS) await submit({ type: 'AddInstrument', spec });
  }
  const keys = new MemoryApiKeyStore();
  const traders: Creds[] = [];
  for (const accountId of ['maker', 'taker']) {
    if (!bus.core.account(accountId)) {
      await submit({ type: 'CreateAccount', accountId, maxOpenOrders: 1_000_000 });
      for (const [asset, amount] of [['USD', '100000000000'], ['BTC', '100000000']]) await submit({ type: 'Deposit', accountId, asset: asset!, amount: amount! });
    }
    const created = await keys.create({ accountId, kind: 'hmac', label: 'bench', scopes: ['read', 'trade'] });
    traders.push({ keyId: created.record.keyId, secret: created.secret! });
  }
  const orders = new OrderEntry({ bus, history: undefined, orderLimiter: new OrderRateLimiter({ policies: [generous('orders-1s', 'account')] }), idempotency: new MemoryIdempotencyStore(), clock: Date.now });
  // A minimal REST order door on the same server and event loop: POST /order places, DELETE /order/{id} cancels (for the maker).
  const server = createServer((req, res) => {
    const answer = (outcome: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome));
    if (req.method === 'DELETE' && req.url?.startsWith('/order/')) {
      void orders.cancel('maker', { orderId: req.url.slice('/order/'.length) }).then(answer);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/order') return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void orders.place('maker', JSON.parse(Buffer.concat(chunks).toString()) as never).then(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateway = attachWsGateway({
    server, bus, logger, keys, orders,
    verifier: new RequestVerifier({ store: keys }),
    limits: { requests: new RequestRateLimiter({ policies: [generous('key', 'key'), generous('ip', 'ip')] }) },
    config: { maxConnectionsPerIp: clients + 100, maxConnectionsPerKey: 1000, ...(SENDS_PER_TURN !== undefined && { sendsPerTurn: SENDS_PER_TURN }), ...(DELIVERY_BUDGET_MICROS !== undefined && { deliveryBudgetMicros: DELIVERY_BUDGET_MICROS }) },
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ws`, bus, gateway, server, traders,
    close: async () => {
      await gateway.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Batch { firstSeq: number; lastSeq: number; at: number }

/**
 * Submits `rate` batches per second for `ms`. A batch is `pairs` sells that rest on the levels
 * 100.01-100.09 and as many market buys that each take 0.01 from the 100.00 level (seeded deep):
 * every batch changes the top-10 view and prints `pairs` trades, which the gateway sends as one
 * book.update and one trades frame (the contract's batching).
 */
async function generate(bus: CommandBus, rate: number, pairs: number, ms: number, batches: Batch[]): Promise<void> {
  const start = performance.now();
  let k = batches.length;
  const first = k;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= ms) return;
    const due = first + Math.floor((elapsed * rate) / 1000);
    while (k < due) {
      const at = wallClock();
      const submits = [];
      for (let i = 0; i < pairs; i++) {
        const level = (k * pairs + i) % 9;
        submits.push(
          bus.submit({ type: 'PlaceOrder', accountId: 'maker', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: (100.01 + level / 100).toFixed(2), quantity: '0.01', timeInForce: 'GTC' }),
          bus.submit({ type: 'PlaceOrder', accountId: 'taker', symbol: 'BTC-USD', side: 'buy', orderType: 'market', quantity: '0.01', timeInForce: 'IOC' }),
        );
      }
      const results = await Promise.all(submits);
      const seqs = results.flatMap((r) => r.events.map((e) => e.seq));
      batches.push({ firstSeq: Math.min(...seqs), lastSeq: Math.max(...seqs), at });
      k++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

function latencies(report: MeasureReport, sentAt: (seq: number) => number | undefined) {
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  for (let i = 0; i < report.seqs.length; i++) {
    const at = sentAt(report.seqs[i]!);
    if (at !== undefined) histogram.recordValue(Math.max(1, Math.round((report.times[i]! - at) * 1000)));
  }
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1000;
  return { samples: histogram.totalCount, p50: ms(50), p99: ms(99), max: histogram.maxValue / 1000 };
}

function batchLookup(batches: readonly Batch[]) {
  return (seq: number) => {
    let lo = 0;
    let hi = batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = batches[mid]!;
      if (seq < b.firstSeq) hi = mid - 1;
      else if (seq > b.lastSeq) lo = mid + 1;
      else return b.at;
    }
    return undefined;
  };
}

/** A bare ws server: broadcasts one frame of `size` bytes to every client per turn, pausing while any has 256 KiB queued. */
async function ceiling(clients: Clients, count: number, size: number, seconds: number, sample: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.send(JSON.stringify({ type: 'welcome' }));
  });
  await clients.ask({ cmd: 'connect', url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, count, subscribe: [] });
  const sentAt = new Map<number, number>();
  let seq = 0;
  let running = true;
  const frame = (n: number) => {
    const head = `{"type":"trades","seq":${n},"pad":"`;
    return Buffer.from(`${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`);
  };
  const loop = () => {
    if (!running) return;
    if (sockets.every((ws) => ws.bufferedAmount < 256 * 1024)) {
      const n = ++seq;
      sentAt.set(n, wallClock());
      const data = frame(n);
      for (const ws of sockets) ws.send(data, { binary: false });
    }
    setImmediate(loop);
  };
  loop();
  await new Promise((r) => setTimeout(r, 500));
  const report = await clients.ask<MeasureReport>({ cmd: 'measure', ms: seconds * 1000, sample });
  running = false;
  await clients.ask({ cmd: 'disconnect' });
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  return { framesPerSecond: report.frames / (report.ms / 1000), bytesPerFrame: report.bytes / report.frames, ...latencies(report, (s) => sentAt.get(s)) };
}

/** Phases 1 and 2: the gateway at each step (batches/s x pairs), then the bare ws ceiling per frame size. */
async function fanOut(clients: Clients, stepList: string, count: number, seconds: number, sample: number, out: (line: string) => void): Promise<void> {
  const memoryBus = createInMemorySequencer(createCore(), undefined, pino({ level: 'silent' }));
  const gw = await startGateway(memoryBus, count);
  const subscribe = [{ op: 'subscribe', args: { channel: 'book', symbol: 'BTC-USD', depth: 10 } }, { op: 'subscribe', args: { channel: 'trades', symbol: 'BTC-USD' } }];
  const t = performance.now();
  await clients.ask({ cmd: 'connect', url: gw.url, count, subscribe });
  out(`fan-out: ${count} clients connected and subscribed (book depth 10 + trades) in ${Math.round(performance.now() - t)} ms`);
  out('| batches/s | pairs/batch | frames/s | updates/frame | updates/s | bytes/frame | latency p50 ms | p99 ms | max ms | conflated |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const batches: Batch[] = [];
  await memoryBus.submit({ type: 'PlaceOrder', accountId: 'maker', symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: '100', quantity: '1000', timeInForce: 'GTC' });
  interface Step { rate: number; pairs: number; framesPerSecond: number; bytesPerFrame: number; updatesPerSecond: number; conflated: number; p50: number; p99: number; max: number }
  const steps: Step[] = [];
  for (const step of stepList.split(',')) {
    const [rate, pairs] = step.split('x').map(Number) as [number, number];
    const conflatedBefore = gw.gateway.metrics.conflations;
    const generating = generate(gw.bus, rate, pairs, 500 + seconds * 1000 + 300, batches);
    await new Promise((r) => setTimeout(r, 500));
    const report = await clients.ask<MeasureReport>({ cmd: 'measure', ms: seconds * 1000, sample });
    await generating;
    const lat = latencies(report, batchLookup(batches));
    const framesPerSecond = report.frames / (report.ms / 1000);
    const updatesPerFrame = report.sampledUpdates / report.sampledFrames;
    const result = { rate, pairs, framesPerSecond, bytesPerFrame: report.bytes / report.frames, updatesPerSecond: framesPerSecond * updatesPerFrame, conflated: gw.gateway.metrics.conflations - conflatedBefore, ...lat };
    steps.push(result);
    out(`| ${rate} | ${pairs} | ${Math.round(framesPerSecond)} | ${updatesPerFrame.toFixed(2)} | ${Math.round(result.updatesPerSecond)} | ${Math.round(report.bytes / report.frames)} | ${lat.p50.toFixed(2)} | ${lat.p99.toFixed(2)} | ${lat.max.toFixed(1)} | ${result.conflated} |`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await clients.ask({ cmd: 'disconnect' });
  await gw.close();

  // 2. The ceiling: a bare ws server, frames of the same size (one run per frame size), the same clients.
  const ceilings = new Map<number, Awaited<ReturnType<typeof ceiling>>>();
  out('');
  for (const pairs of new Set(steps.map((s) => s.pairs))) {
    // Steps that delivered nothing (a starved client process) have no frame size to copy.
    const ofSize = steps.filter((s) => s.pairs === pairs && s.framesPerSecond > 0);
    if (ofSize.length === 0) continue;
    const size = Math.round(ofSize.reduce((sum, s) => sum + s.bytesPerFrame, 0) / ofSize.length);
    const top = await ceiling(clients, count, size, seconds, sample);
    ceilings.set(pairs, top);
    out(`ceiling for ${pairs} pair(s)/batch (bare ws broadcast, ${Math.round(top.bytesPerFrame)}-byte frames, ${count} clients): ${Math.round(top.framesPerSecond)} frames/s, latency p50 ${top.p50.toFixed(2)} ms, p99 ${top.p99.toFixed(2)} ms`);
  }
  const share = (s: Step, x: number) => ((100 * x) / ceilings.get(s.pairs)!.framesPerSecond).toFixed(1);
  // Every step against its ceiling, whatever its latency: on a busy machine no step may meet p99 < 20 ms.
  for (const s of steps.filter((x) => ceilings.has(x.pairs))) {
    out(`step ${s.rate}x${s.pairs}: ${Math.round(s.framesPerSecond)} frames/s = ${share(s, s.framesPerSecond)}% of the ceiling's frames/s (p99 ${s.p99.toFixed(2)} ms, ${s.conflated} conflated)`);
  }
  const passing = steps.filter((s) => s.framesPerSecond > 0 && s.p99 < 20 && s.conflated === 0 && ceilings.has(s.pairs));
  const byFrames = [...passing].sort((a, b) => b.framesPerSecond - a.framesPerSecond)[0];
  const byUpdates = [...passing].sort((a, b) => b.updatesPerSecond - a.updatesPerSecond)[0];
  if (byFrames && byUpdates) {
    out(`gateway, best step with p99 < 20 ms and nothing conflated: ${Math.round(byFrames.framesPerSecond)} frames/s (${byFrames.rate}x${byFrames.pairs}) = ${share(byFrames, byFrames.framesPerSecond)}% of the ceiling's frames/s;`);
    out(`  ${Math.round(byUpdates.updatesPerSecond)} updates/s (${byUpdates.rate}x${byUpdates.pairs}, batched per frame as the contract documents) = ${share(byUpdates, byUpdates.updatesPerSecond)}% (target >= 80%)`);
  } else {
    out('gateway: no step met p99 < 20 ms without conflation');
  }

}

/**
 * Phase 4: order acknowledgement latency against the number of book subscribers, in one run.
 * A durable (fdatasync) gateway; for each count N, N connections subscribe to the BTC-USD book
 * (depth 10), then a REST client (HTTP on the same server) and a WebSocket client each
 * alternately place a buy at the top of the book and cancel it, closed loop at `rate` commands/s
 * each: every command changes the top of the book, so every acknowledgement competes with a
 * broadcast to N subscribers. Latency: request sent to acknowledgement received (clients in
 * this process, so a blocked event loop shows in full).
 */
async function ackScenario(clients: Clients, counts: number[], seconds: number, rate: number, out: (line: string) => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ws-ack-'));
  const bus = await openDurableSequencer({ dataDir, logger: pino({ level: 'silent' }) });
  const gw = await startGateway(bus, Math.max(...counts) + 100);
  const base = gw.url.replace('ws://', 'http://').replace('/v1/ws', '');
  const subscribe = [{ op: 'subscribe', args: { channel: 'book', symbol: 'BTC-USD', depth: 10 } }];
  out(`\nacknowledgements vs book subscribers: durable bus; a REST and a WebSocket client each place/cancel at ${rate}/s for ${seconds} s per step, every command changing the top of the book`);
  out('| subscribers | REST p50 ms | REST p99 ms | WS p50 ms | WS p99 ms | acks | book frames/s delivered | conflations |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const ws = await open(gw.url, [{ op: 'login', args: loginArgs(gw.traders[0]!) }]);
  let nextId = 1;
  const wsRequest = (op: string, args: unknown) => new Promise<{ result?: { order?: { orderId: string } } }>((resolve) => {
    const id = nextId++;
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { id?: number };
      if (frame.id !== id) return;
      ws.off('message', onMessage);
      resolve(frame as never);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, op, args }));
  });
  const restRequest = async (method: string, path: string, body?: unknown) => (await fetch(`${base}${path}`, { method, ...(body !== undefined && { body: JSON.stringify(body) }) })).json() as Promise<{ ok?: boolean; order?: { orderId: string } }>;
  const place = { symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '99.50', quantity: '0.02', timeInForce: 'GTC' };
  const wsPlace = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '99.50', quantity: '0.02', timeInForce: 'GTC' };

  /** Closed loop at `rate`/s: place, then cancel what was placed; returns the histogram of ack times. */
  const loop = async (kind: 'rest' | 'ws', until: number, spans: Array<[number, number]>) => {
    const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    let open: string | undefined;
    for (let k = 0; performance.now() < until; k++) {
      const due = performance.now() + 1000 / rate;
      const t0 = performance.now();
      if (open === undefined) {
        const id = kind === 'rest' ? (await restRequest('POST', '/order', place)).order?.orderId : (await wsRequest('placeOrder', wsPlace)).result?.order?.orderId;
        if (id === undefined) throw new Error(`${kind} placeOrder was refused: the scenario needs every order accepted`);
        open = id;
      } else {
        if (kind === 'rest') await restRequest('DELETE', `/order/${open}`);
        else await wsRequest('cancelOrder', { orderId: open });
        open = undefined;
      }
      const t1 = performance.now();
      h.recordValue(Math.max(1, Math.round((t1 - t0) * 1000)));
      spans.push([t0, t1]);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (open !== undefined) await restRequest('DELETE', `/order/${open}`);
    return h;
  };

  /** Per step: the gateway process's event-loop delay, its garbage collection, and the slowest 1 % of acknowledgements (ms, of which GC). */
  const diagnostics: string[] = [];
  for (const n of counts) {
    if (n > 0) await clients.ask({ cmd: 'connect', url: gw.url, count: n, subscribe });
    const conflatedBefore = gw.gateway.metrics.conflations;
    await new Promise((r) => setTimeout(r, 300));
    const measuring = n > 0 ? clients.ask<MeasureReport>({ cmd: 'measure', ms: seconds * 1000, sample: 1 }) : undefined;
    const until = performance.now() + seconds * 1000;
    const spans: Array<[number, number]> = [];
    const gcs: Array<[number, number]> = [];
    const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push([e.startTime, e.startTime + e.duration]); });
    gcObserver.observe({ entryTypes: ['gc'] });
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const [rest, wsh] = await Promise.all([loop('rest', until, spans), loop('ws', until, spans)]);
    loopDelay.disable();
    gcObserver.disconnect();
    const report = await measuring;
    const slowest = [...spans].sort((a, b) => b[1] - b[0] - (a[1] - a[0])).slice(0, Math.ceil(spans.length / 100));
    const gcDuring = (span: [number, number]) => gcs.reduce((t, g) => t + Math.max(0, Math.min(g[1], span[1]) - Math.max(g[0], span[0])), 0);
    const gcMs = gcs.reduce((t, g) => t + g[1] - g[0], 0);
    diagnostics.push(`| ${n} | ${(loopDelay.percentile(99) / 1e6).toFixed(2)} | ${(loopDelay.max / 1e6).toFixed(2)} | ${gcs.length}, ${gcMs.toFixed(0)} ms, longest ${Math.max(0, ...gcs.map((g) => g[1] - g[0])).toFixed(1)} ms | ${slowest.map((span) => `${(span[1] - span[0]).toFixed(1)} (${gcDuring(span).toFixed(1)})`).join(', ')} |`);
    const ms = (h: typeof rest, p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(2);
    out(`| ${n} | ${ms(rest, 50)} | ${ms(rest, 99)} | ${ms(wsh, 50)} | ${ms(wsh, 99)} | ${rest.totalCount + wsh.totalCount} | ${report ? Math.round(report.frames / (report.ms / 1000)) : 0} | ${gw.gateway.metrics.conflations - conflatedBefore} |`);
    if (n > 0) await clients.ask({ cmd: 'disconnect' });
  }
  out('\nthe gateway process during each step: event-loop delay, garbage collection, and the slowest 1 % of acknowledgements (ms, with the GC time inside each)');
  out('| subscribers | loop delay p99 ms | loop delay max ms | GC pauses | slowest acks ms (GC ms) |');
  out('| --- | --- | --- | --- | --- |');
  for (const line of diagnostics) out(line);
  ws.close();
  await gw.close();
  await bus.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '4' },
      steps: { type: 'string', default: '20x1,40x1,60x1,20x4,40x4,60x4' },
      sample: { type: 'string', default: '50' },
      'order-rate': { type: 'string', default: '1000' },
      'order-seconds': { type: 'string', default: '10' },
      'order-connections': { type: 'string', default: '4' },
      'ack-subscribers': { type: 'string', default: '0,1000,5000,10000' },
      'ack-rate': { type: 'string', default: '20' },
      'ack-seconds': { type: 'string', default: '5' },
      'only-ack': { type: 'boolean', default: false },
      'sends-per-turn': { type: 'string' },
      'delivery-budget-us': { type: 'string' },
      'clients-nice': { type: 'string', default: '10' },
    },
  });
  const count = Number(values.clients);
  const seconds = Number(values.seconds);
  const sample = Number(values.sample);
  const clients = new Clients(Number(values['clients-nice']));
  await clients.ask();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  out(`client process nice: ${values['clients-nice']}`);
  out(`gateway delivery: ws.deliveryBudgetMicros ${DELIVERY_BUDGET_MICROS ?? DEFAULT_WS_CONFIG.deliveryBudgetMicros}, ws.sendsPerTurn ${SENDS_PER_TURN ?? DEFAULT_WS_CONFIG.sendsPerTurn}`);

  if (values['ack-subscribers'] !== '') {
    await ackScenario(clients, values['ack-subscribers']!.split(',').map(Number), Number(values['ack-seconds']), Number(values['ack-rate']), out);
  }
  if (values['only-ack']) {
    clients.kill();
    return;
  }
  if (values.steps !== '') await fanOut(clients, values.steps, count, seconds, sample, out);
  if (values['order-rate'] === '0') {
    clients.kill();
    return;
  }

  // 3. Order entry round trips, in-memory bus then durable bus.
  const rate = Number(values['order-rate']);
  const orderSeconds = Number(values['order-seconds']);
  const connections = Number(values['order-connections']);
  out(`\norder entry: placeOrder at ${rate}/s for ${orderSeconds} s over ${connections} connections (buys and sells crossing at 100)`);
  out('| bus | sent | replies | errors | p50 ms | p99 ms | p99.9 ms | max ms |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ws-'));
  try {
    for (const [name, open] of [
      ['in-memory', async () => createInMemorySequencer(createCore(), undefined, pino({ level: 'silent' }))],
      ['durable (fdatasync)', async () => openDurableSequencer({ dataDir, logger: pino({ level: 'silent' }) })],
    ] as const) {
      const bus = await open();
      const g = await startGateway(bus, connections);
      const r = await clients.ask<OrdersReport>({ cmd: 'orders', url: g.url, traders: g.traders, connections, rate, seconds: orderSeconds });
      out(`| ${name} | ${r.sent} | ${r.replies} | ${r.errors} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.p999.toFixed(3)} | ${r.max.toFixed(1)} |`);
      await g.close();
      if ('close' in bus) await (bus as { close(): Promise<void> }).close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  clients.kill();
}

if (process.argv.includes('--role=clients')) await clientProcess();
else await main();
