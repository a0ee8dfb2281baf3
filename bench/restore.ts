/**
 * Restore benchmark (`npm run bench:restore`): the cost of loading a snapshot alone (read the
 * file, check it, rebuild the core), against the number of resting orders, without building the
 * state through the sequencer (which takes minutes for a million orders; `bench:recovery` times
 * whole restarts).
 *
 * The state is built in process with the real core: 100 accounts, R resting limit orders with
 * client order ids, buys below and sells above the touch on L price levels a side (`--levels`,
 * default 4,000: about 125 orders a level at 1,000,000). Its binary snapshot is written as a
 * snapshot file; then each run, in a fresh process, reads it and restores a core from it:
 *
 *   read      readFile of the snapshot file
 *   check     its header and CRC-32 (decodeSnapshot)
 *   restore   restoreCore: the orders, the per-account maps and the books
 *   CPU       the process's CPU time for the three (garbage collection included)
 *
 *   npm run bench:restore                                   # 100,000 and 1,000,000 orders
 *   npm run bench:restore -- --orders 1000000 --levels 400000 --runs 3
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Command } from '../server/src/core/api.js';
import { createCore, restoreCore } from '../server/src/core/index.js';
import { decodeSnapshot, encodeSnapshot } from '../server/src/snapshot/index.js';

const ACCOUNTS = 100;

function build(file: string, orders: number, levels: number): void {
  const core = createCore();
  let ts = 1;
  const apply = (command: Command): void => {
    const result = core.apply({ ts: ts++, command });
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  };
  apply({ type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } });
  apply({ type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } });
  apply({ type: 'AddInstrument', spec: { symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000', minNotional: '0', priceBandBps: 0, status: 'open' } });
  for (let a = 0; a < ACCOUNTS; a++) {
    apply({ type: 'CreateAccount', accountId: `acct${a}`, maxOpenOrders: 1_000_000 });
    apply({ type: 'Deposit', accountId: `acct${a}`, asset: 'USD', amount: '100000000000' });
    apply({ type: 'Deposit', accountId: `acct${a}`, asset: 'BTC', amount: '10000000' });
  }
  for (let i = 0; i < orders; i++) {
    const buy = i % 2 === 0;
    const step = Math.floor(i / 2) % levels;
    const cents = buy ? 4_999_999 - step : 5_000_001 + step;
    apply({
      type: 'PlaceOrder', accountId: `acct${i % ACCOUNTS}`, symbol: 'BTC-USD', side: buy ? 'buy' : 'sell', orderType: 'limit',
      price: (cents / 100).toFixed(2), quantity: '0.001', timeInForce: 'GTC', clientOrderId: `c${i}`,
    });
  }
  writeFileSync(file, encodeSnapshot({ index: ts - 1, seq: core.seq, takenAt: Date.now() }, core.snapshotBinary!()));
  process.send!({ built: orders });
}

function measure(file: string): void {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = readFileSync(file);
  const t1 = performance.now();
  const decoded = decodeSnapshot(bytes);
  if (!decoded.ok) throw new Error(decoded.reason);
  const t2 = performance.now();
  const core = restoreCore(decoded.snapshot.core);
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (core.seq !== decoded.snapshot.seq) throw new Error('restored the wrong state');
  process.send!({ readMs: t1 - t0, checkMs: t2 - t1, restoreMs: t3 - t2, totalMs: t3 - t0, cpuMs: (cpu.user + cpu.system) / 1000 });
}

function child(args: string[]): Promise<Record<string, number>> {
  const proc = fork(fileURLToPath(import.meta.url), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    let report: Record<string, number> | undefined;
    proc.on('message', (m) => (report = m as Record<string, number>));
    proc.on('exit', (code) => (report ? resolve(report) : reject(new Error(`child exited (${code})`))));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { orders: { type: 'string', default: '100000,1000000' }, levels: { type: 'string', default: '4000' }, runs: { type: 'string', default: '3' } } });
  const dir = mkdtempSync(join(tmpdir(), 'bench-restore-'));
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('resting orders | levels a side | snapshot MiB | run | read ms | check ms | restore ms | total ms | CPU ms');
  console.log('---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
  try {
    for (const orders of values.orders.split(',').map(Number)) {
      const levels = Number(values.levels);
      const file = join(dir, `${orders}.snapshot`);
      await child(['--build', file, String(orders), String(levels)]);
      const mib = statSync(file).size / 2 ** 20;
      for (let run = 1; run <= Number(values.runs); run++) {
        const r = await child(['--measure', file]);
        console.log(`${orders} | ${Math.min(levels, Math.ceil(orders / 2))} | ${mib.toFixed(1)} | ${run} | ${r.readMs!.toFixed(0)} | ${r.checkMs!.toFixed(0)} | ${r.restoreMs!.toFixed(0)} | ${r.totalMs!.toFixed(0)} | ${r.cpuMs!.toFixed(0)}`);
      }
    }
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--build') build(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else if (process.argv[2] === '--measure') measure(process.argv[3]!);
else await main();
