/**
 * Durability benchmark: the trading core behind the durable sequencer (journal with group
 * commit and fdatasync, history projection into SQLite) against the same core behind the
 * in-memory sequencer.
 *
 * Flow: 200 accounts on one instrument; ~60% passive limit orders near the touch, 30% cancels,
 * 10% aggressive IOC orders that trade. C closed-loop clients each keep one command
 * outstanding (submit, await the acknowledgement, submit the next), so up to C commands share
 * a group commit. Latency is submit → acknowledgement. For the durable runs the sequencer's
 * observer times each group commit during the measured phase: from the start of the batch's
 * write until the batch is durable (its fdatasync, or a later batch's, returned; the journal
 * keeps two batches in flight). Two durable variants run, both with the replica worker
 * projecting the history into SQLite and taking snapshots (every 100,000 commands) off the
 * main thread:
 *   "durable"            the production default: acknowledgements wait once the history falls
 *                        more than 50,000 records behind (back-pressure), so this is the
 *                        sustained rate of the whole durable path, history included;
 *   "durable, core+journal"  no back-pressure: what the sequencer thread sustains (core,
 *                        journal, group commit, fdatasync) while the replica runs beside it.
 *
 *   npm run bench:durable                                     # 100,000 commands at 64, 256 and 1024 clients, then 1 client
 *   npm run bench:durable -- --commands 50000 --clients 256   # one concurrency
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Command, CommandResult } from '../server/src/core/api.js';
import { createCore } from '../server/src/core/index.js';
import type { BatchTiming } from '../server/src/journal/index.js';
import type { CommandBus } from '../server/src/sequencer/api.js';
import { openDurableSequencer, type SequencerObserver } from '../server/src/sequencer/durable.js';
import { createInMemorySequencer } from '../server/src/sequencer/in-memory.js';

const require = createRequire(import.meta.url);
const { build } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');
type Histogram = ReturnType<typeof build>;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const COMMANDS = option('--commands', 100_000);
const CLIENT_COUNTS = process.argv.includes('--clients') ? [option('--clients', 256)] : [64, 256, 1024];
/** A last round measures the latency floor: one client, so every command waits for its own fdatasync (--single 0 skips it). */
const SINGLE = option('--single', 1);
const WARMUP = Math.max(5_000, Math.floor(COMMANDS / 10));
const ACCOUNTS = 200;
const SYMBOL = 'BTC-USD';

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

/** xorshift32: every run sends the same flow. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4_294_967_296;
  };
}

class Flow {
  private readonly live: { accountId: string; orderId: string }[] = [];
  private readonly next = rng(0x9e3779b9);

  command(): Command {
    const r = this.next();
    const accountId = `acct${Math.floor(this.next() * ACCOUNTS)}`;
    if (r < 0.3 && this.live.length > 0) {
      const at = Math.floor(this.next() * this.live.length);
      const target = this.live[at]!;
      this.live[at] = this.live[this.live.length - 1]!;
      this.live.pop();
      return { type: 'CancelOrder', accountId: target.accountId, orderId: target.orderId };
    }
    const side = this.next() < 0.5 ? 'buy' : 'sell';
    const quantity = ((1 + Math.floor(this.next() * 20)) / 1000).toFixed(3);
    if (r < 0.4) {
      const price = (side === 'buy' ? 100.05 : 99.95).toFixed(2);
      return { type: 'PlaceOrder', accountId, symbol: SYMBOL, side, orderType: 'limit', timeInForce: 'IOC', price, quantity };
    }
    const away = 1 + Math.floor(this.next() * 10);
    const price = ((side === 'buy' ? 10_000 - away : 10_000 + away) / 100).toFixed(2);
    return { type: 'PlaceOrder', accountId, symbol: SYMBOL, side, orderType: 'limit', timeInForce: 'GTC', price, quantity };
  }

  track(result: CommandResult): void {
    for (const e of result.events) {
      if (e.type === 'OrderAccepted' && e.order.timeInForce === 'GTC') this.live.push({ accountId: e.order.accountId, orderId: e.order.orderId });
    }
  }
}

function setupCommands(): Command[] {
  const commands: Command[] = [
    { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
    { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
    {
      type: 'AddInstrument', spec: {
        symbol: SYMBOL, base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.001', minQuantity: '0.001', maxQuantity: '1000',
        minNotional: '0', priceBandBps: 0, status: 'open',
      },
    },
  ];
  for (let a = 0; a < ACCOUNTS; a++) {
    const accountId = `acct${a}`;
    commands.push({ type: 'CreateAccount', accountId, maxOpenOrders: 100_000 });
    commands.push({ type: 'Deposit', accountId, asset: 'USD', amount: '1000000000' });
    commands.push({ type: 'Deposit', accountId, asset: 'BTC', amount: '10000000' });
  }
  return commands;
}

/**
 * Times each group commit from the sequencer's side: from the start of a batch's write until
 * the batch is known durable (its own fdatasync, or a later batch's, returned), with its size.
 */
class CommitTimes implements SequencerObserver {
  commits = histogram();
  batchBytes = histogram();
  /** Forgets what set-up and warm-up recorded. */
  reset(): void {
    this.commits = histogram();
    this.batchBytes = histogram();
  }
  applied(): undefined {
    return undefined;
  }
  committed(batch: BatchTiming): void {
    this.commits.recordValue(Math.max(1, Math.round((batch.syncedAt - batch.startedAt) * 1000)));
    this.batchBytes.recordValue(batch.bytes);
  }
}

interface Result { name: string; clients: number; commandsPerSecond: number; latency: Histogram }

async function drive(name: string, bus: CommandBus, clients: number, commands: number, onMeasure = () => {}): Promise<Result> {
  for (const command of setupCommands()) await bus.submit(command);
  const flow = new Flow();
  const run = async (count: number, latency?: Histogram) => {
    let remaining = count;
    const client = async () => {
      while (remaining > 0) {
        remaining--;
        const started = process.hrtime.bigint();
        const result = await bus.submit(flow.command());
        latency?.recordValue(Number((process.hrtime.bigint() - started) / 1000n));
        flow.track(result);
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
  };
  await run(WARMUP);
  onMeasure();
  const latency = histogram();
  const started = process.hrtime.bigint();
  await run(commands, latency);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, clients, commandsPerSecond: commands / seconds, latency };
}

const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
const us = (h: Histogram, p: number) => Math.round(h.getValueAtPercentile(p));

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  console.log(`Node ${process.version}, ${COMMANDS} measured commands after ${WARMUP} warm-up ones (20,000 for the single client)\n`);
  const rows: string[][] = [];
  const commitRows: string[][] = [];
  const verdicts: string[] = [];
  for (const clients of SINGLE > 0 ? [...CLIENT_COUNTS, SINGLE] : CLIENT_COUNTS) {
    const commands = clients === SINGLE ? Math.min(COMMANDS, 20_000) : COMMANDS;
    const memory = await drive('in-memory', createInMemorySequencer(createCore(), undefined, logger), clients, commands);
    rows.push(['in-memory', String(clients), String(Math.round(memory.commandsPerSecond)), String(us(memory.latency, 50)), String(us(memory.latency, 99)), String(Math.round(memory.latency.maxValue)), '']);
    for (const [name, maxReplicaLag] of [['durable', undefined], ['durable, core+journal', Number.MAX_SAFE_INTEGER]] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-durable-'));
      const fs = new CommitTimes();
      const bus = await openDurableSequencer({ dataDir, logger, observer: fs, snapshotOnClose: false, ...(maxReplicaLag ? { maxReplicaLag } : {}) });
      const durable = await drive(name, bus, clients, commands, () => fs.reset());
      const status = bus.status();
      const caughtUp = process.hrtime.bigint();
      await bus.historySynced();
      const historyLagMs = Number(process.hrtime.bigint() - caughtUp) / 1e6;
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
      const ratio = durable.commandsPerSecond / memory.commandsPerSecond;
      rows.push([name, String(clients), String(Math.round(durable.commandsPerSecond)), String(us(durable.latency, 50)), String(us(durable.latency, 99)),
        String(Math.round(durable.latency.maxValue)), `${(ratio * 100).toFixed(0)}%`]);
      const commits = fs.commits;
      commitRows.push([name, String(clients), String(commits.totalCount), String(Math.round(commands / Math.max(1, commits.totalCount))), String(us(commits, 50)), String(us(commits, 99)),
        String(Math.round(commits.maxValue)), String(us(fs.batchBytes, 50)), `${status.seq - status.historySeq} events, ${historyLagMs.toFixed(0)} ms`]);
      if (clients !== SINGLE) {
        verdicts.push(`${name}, ${clients} clients: durable/in-memory ${(ratio * 100).toFixed(0)}% (>= 70%: ${ratio >= 0.7 ? 'met' : 'MISSED'}), `
          + `group-commit p99 ${(commits.getValueAtPercentile(99) / 1000).toFixed(2)} ms (< 2 ms: ${commits.getValueAtPercentile(99) < 2000 ? 'met' : 'MISSED'})`);
      }
    }
  }
  row(['sequencer', 'clients', 'commands/s', 'ack p50 µs', 'ack p99 µs', 'ack max µs', 'durable / in-memory']);
  row(['---', '---', '---', '---', '---', '---', '---']);
  for (const r of rows) row(r);
  console.log('\nGroup commits of the durable runs (measured phase; one write + one fdatasync each):\n');
  row(['sequencer', 'clients', 'commits', 'commands per commit', 'p50 µs', 'p99 µs', 'max µs', 'batch p50 bytes', 'history behind at the end']);
  row(['---', '---', '---', '---', '---', '---', '---', '---', '---']);
  for (const r of commitRows) row(r);
  console.log('');
  for (const verdict of verdicts) console.log(verdict);
}

void main();
