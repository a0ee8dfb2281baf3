/**
 * Restart benchmark (`npm run bench:recovery`): how long a restart takes against the size of the
 * state (resting orders) and the length of the journal after the newest snapshot.
 *
 * For each case a builder process fills a fresh data directory through the durable sequencer
 * (the real trading core): R resting orders (buys below and sells above the touch, spread over
 * 100 accounts), a snapshot, then T more commands journaled after it (T = 0: the snapshot is
 * fresh). The builder is then killed with SIGKILL: no clean shutdown, no snapshot on close.
 * A new process then opens the same data directory and reports
 *   ready     openDurableSequencer() resolved: recovery done, the sequencer accepts commands
 *   replica   the replica worker has caught up too (history reads no longer wait)
 *   process   from the process's own start (module loading included) to ready
 *   CPU       CPU time the restarting process used until ready (both threads: the replica
 *             loads the same snapshot alongside), which a busy machine does not inflate
 *
 *   npm run bench:recovery                                   # 10k, 100k resting orders; tails 0 and 50k
 *   npm run bench:recovery -- --orders 100000,1000000 --tails 0,100000
 *
 * A million orders take minutes to build through the sequencer; build once, then time restarts
 * of copies of the built directory (the timing alone is what needs a quiet machine):
 *
 *   npm run bench:recovery -- --build-into DIR --orders 1000000 --tails 0
 *   npm run bench:recovery -- --restart-from DIR        # one restart of a copy of DIR
 */
import { fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Command } from '../server/src/core/api.js';
import { openDurableSequencer } from '../server/src/sequencer/durable.js';

const ACCOUNTS = 100;
const SYMBOL = 'BTC-USD';
const silent = pino({ level: 'silent' });

function list(name: string, fallback: number[]): number[] {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]!.split(',').map(Number) : fallback;
}

function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    { type: 'AddInstrument', spec: { symbol: SYMBOL, base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' } },
  ];
  for (let a = 0; a < ACCOUNTS; a++) {
    commands.push({ type: 'CreateAccount', accountId: `acct${a}`, maxOpenOrders: 1_000_000 });
    commands.push({ type: 'Deposit', accountId: `acct${a}`, asset: 'USD', amount: '100000000000' });
    commands.push({ type: 'Deposit', accountId: `acct${a}`, asset: 'BTC', amount: '10000000' });
  }
  return commands;
}

/** The i-th resting order: buys from 49,999.99 down, sells from 50,000.01 up, never crossing. */
function resting(i: number): Command {
  const buy = i % 2 === 0;
  const step = Math.floor(i / 2) % 400_000;
  const cents = buy ? 4_999_999 - step : 5_000_001 + step;
  return { type: 'PlaceOrder', accountId: `acct${i % ACCOUNTS}`, symbol: SYMBOL, side: buy ? 'buy' : 'sell', orderType: 'limit', price: (cents / 100).toFixed(2), quantity: '0.001', timeInForce: 'GTC' };
}

/** Submits with up to 512 commands in flight (group commit), in order of `make(i)`. */
async function submitAll(bus: Awaited<ReturnType<typeof openDurableSequencer>>, count: number, make: (i: number) => Command): Promise<void> {
  const window = 512;
  for (let i = 0; i < count; i += window) {
    const n = Math.min(window, count - i);
    const results = await Promise.all(Array.from({ length: n }, (_, k) => bus.submit(make(i + k))));
    const refused = results.find((r) => !r.ok);
    if (refused && !refused.ok) throw new Error(`${refused.code}: ${refused.message}`);
  }
}

async function build(dataDir: string, orders: number, tail: number): Promise<void> {
  const bus = await openDurableSequencer({ dataDir, logger: silent, snapshotEveryCommands: 1e9, snapshotIntervalMs: 24 * 3600_000, snapshotOnClose: false });
  await submitAll(bus, setupCommands().length, (i) => setupCommands()[i]!);
  await submitAll(bus, orders, resting);
  // The replica snapshots what it has applied: let it catch up, so the snapshot holds every order.
  await bus.historySynced();
  await bus.snapshotNow();
  // The tail: deposits, journaled after the snapshot (the book stays the same size).
  await submitAll(bus, tail, (i) => ({ type: 'Deposit', accountId: `acct${i % ACCOUNTS}`, asset: 'USD', amount: '1' }));
  await bus.historySynced();
  process.send?.({ built: true });
  console.log("built");
  await new Promise(() => undefined); // wait for SIGKILL
}

async function restart(dataDir: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bus = await openDurableSequencer({ dataDir, logger: silent, snapshotOnClose: false });
  const ready = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const uptimeMs = process.uptime() * 1000;
  await bus.historySynced();
  // One command through the journal and the replica proves both run.
  await bus.submit({ type: 'Deposit', accountId: 'acct0', asset: 'USD', amount: '1' });
  await bus.historySynced();
  const replica = performance.now();
  process.send!({ readyMs: ready - t0, replicaMs: replica - t0, uptimeMs, cpuMs: (cpu.user + cpu.system) / 1000, seq: bus.core.seq });
  await bus.close();
}

function child(args: string[]): ReturnType<typeof fork> {
  return fork(fileURLToPath(import.meta.url), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
}

/** Fills `dir` with R resting orders and a journal tail of T, then kills the builder with SIGKILL. */
async function buildKilled(dir: string, orders: number, tail: number): Promise<void> {
  const builder = child(['--build', dir, String(orders), String(tail)]);
  await new Promise<void>((resolve, reject) => {
    builder.on('message', () => resolve());
    builder.on('exit', (code) => reject(new Error(`builder exited (${code})`)));
  });
  builder.removeAllListeners('exit');
  builder.kill('SIGKILL');
  await new Promise((resolve) => builder.once('exit', resolve));
}

/** One restart of `dir` in a new process; the table row for it. */
async function timeRestart(dir: string, orders: string, tail: string): Promise<string> {
  const snapshotBytes = readdirSync(join(dir, 'snapshots')).reduce((n, f) => n + statSync(join(dir, 'snapshots', f)).size, 0);
  const runner = child(['--restart', dir]);
  const report = await new Promise<{ readyMs: number; replicaMs: number; uptimeMs: number; cpuMs: number }>((resolve, reject) => {
    runner.on('message', (m) => resolve(m as never));
    runner.on('exit', (code) => reject(new Error(`restart exited (${code})`)));
  });
  runner.removeAllListeners('exit');
  await new Promise((resolve) => runner.once('exit', resolve));
  return `${orders} | ${tail} | ${(snapshotBytes / 2 ** 20).toFixed(1)} | ${report.readyMs.toFixed(0)} | ${report.cpuMs.toFixed(0)} | ${report.replicaMs.toFixed(0)} | ${report.uptimeMs.toFixed(0)}`;
}

const HEADER = 'resting orders | journal after snapshot | snapshot MiB | ready ms | CPU to ready ms | replica caught up ms | process start to ready ms\n'
  + '---: | ---: | ---: | ---: | ---: | ---: | ---:';

async function main(): Promise<void> {
  const orderCounts = list('--orders', [10_000, 100_000]);
  const tails = list('--tails', [0, 50_000]);
  const buildInto = process.argv.indexOf('--build-into');
  if (buildInto >= 0) {
    const dir = process.argv[buildInto + 1]!;
    mkdirSync(dir, { recursive: true });
    await buildKilled(dir, orderCounts[0]!, tails[0]!);
    writeFileSync(join(dir, 'bench-recovery.json'), JSON.stringify({ orders: orderCounts[0], tail: tails[0] }));
    console.log(`built ${orderCounts[0]} resting orders and a journal tail of ${tails[0]} in ${dir}`);
    return;
  }
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(HEADER);
  const restartFrom = process.argv.indexOf('--restart-from');
  if (restartFrom >= 0) {
    const built = process.argv[restartFrom + 1]!;
    const { orders, tail } = JSON.parse(readFileSync(join(built, 'bench-recovery.json'), 'utf8')) as { orders: number; tail: number };
    const dir = mkdtempSync(join(tmpdir(), 'bench-recovery-'));
    cpSync(built, dir, { recursive: true });
    console.log(await timeRestart(dir, String(orders), String(tail)));
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  for (const orders of orderCounts) {
    for (const tail of tails) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-recovery-'));
      await buildKilled(dir, orders, tail);
      console.log(await timeRestart(dir, String(orders), String(tail)));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === '--build') await build(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else if (process.argv[2] === '--restart') await restart(process.argv[3]!);
else await main();
