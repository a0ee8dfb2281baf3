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
 *
 * Open loop (--open-loop 0.7): a second figure with a fairer load for a group commit. Commands
 * arrive on a 1 ms timer, as from many independent clients, whether or not earlier ones were
 * acknowledged, so they keep arriving while a batch syncs. The offered rate is that fraction
 * of the in-memory closed-loop rate measured just before at the same client count; each
 * sequencer gets the same offer, and the figure is the rate it sustained and the latency from
 * each command's due time (so a stall counts against every command it delayed).
 *
 *   npm run bench:durable                                     # 100,000 commands at 64, 256 and 1024 clients, then 1 client
 *   npm run bench:durable -- --commands 50000 --clients 256   # one concurrency
 *   npm run bench:durable -- --clients 64 --open-loop 0.7     # and the open-loop figure at 70 % of in-memory's rate
 *   npm run bench:durable -- --clients 64 --open-rate 40000   # or at a fixed rate
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createCore } from '../server/src/core/index.js';
import type { BatchTiming } from '../server/src/journal/index.js';
import type { CommandBus } from '../server/src/sequencer/api.js';
import { openDurableSequencer, type SequencerObserver } from '../server/src/sequencer/durable.js';
import { createInMemorySequencer } from '../server/src/sequencer/in-memory.js';
import { Flow, setupCommands } from './support/durable-flow.js';

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
/** Fraction of the in-memory closed-loop rate offered in the open-loop round (0: no such round). */
const OPEN_LOOP = option('--open-loop', 0);
/** Open loop at this many commands per second instead (the same offer in runs to compare). */
const OPEN_RATE = option('--open-rate', 0);
/** Open loop: commands outstanding at most; past it the generator counts the arrivals it could not make. */
const OPEN_LOOP_CAP = 100_000;
const WARMUP = Math.max(5_000, Math.floor(COMMANDS / 10));

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

/**
 * Times each group commit from the sequencer's side: from the start of a batch's write until
 * the batch is known durable (its own fdatasync, or a later batch's, returned), with its size.
 */
class CommitTimes implements SequencerObserver {
  commits = histogram();
  writes = histogram();
  batchBytes = histogram();
  /** Forgets what set-up and warm-up recorded. */
  reset(): void {
    this.commits = histogram();
    this.writes = histogram();
    this.batchBytes = histogram();
  }
  applied(): undefined {
    return undefined;
  }
  committed(batch: BatchTiming): void {
    this.commits.recordValue(Math.max(1, Math.round((batch.syncedAt - batch.startedAt) * 1000)));
    // The write alone: a long one is the thread pool or this thread waiting for a core, not the disk's flush.
    this.writes.recordValue(Math.max(1, Math.round((batch.writtenAt - batch.startedAt) * 1000)));
    this.batchBytes.recordValue(batch.bytes);
  }
}

interface Result {
  name: string; clients: number; commandsPerSecond: number; latency: Histogram; missed: number;
  /** CPU time of the whole process (every thread: core, journal, replica) per measured command. */
  cpuMicrosPerCommand: number;
}

/** How the measured commands arrive. */
type Load = { kind: 'closed'; clients: number } | { kind: 'open'; perSecond: number };

async function drive(name: string, bus: CommandBus, load: Load, commands: number, onMeasure = () => {}): Promise<Result> {
  for (const command of setupCommands()) await bus.submit(command);
  const flow = new Flow();
  const closed = async (clients: number, count: number, latency?: Histogram) => {
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
  // The warm-up is closed-loop in both modes, so both start from the same kind of state.
  await closed(load.kind === 'closed' ? load.clients : 64, WARMUP);
  onMeasure();
  const latency = histogram();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const missed = load.kind === 'closed' ? (await closed(load.clients, commands, latency), 0) : await open(bus, flow, load.perSecond, commands, latency);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    name, clients: load.kind === 'closed' ? load.clients : 0, commandsPerSecond: commands / seconds, latency, missed,
    cpuMicrosPerCommand: (used.user + used.system) / commands,
  };
}

/**
 * Offers `count` commands at `perSecond`, on a 1 ms timer: each tick submits every command due by
 * then, acknowledged or not. Latency runs from a command's due time. Returns how many arrivals
 * were late because OPEN_LOOP_CAP commands were already outstanding.
 */
function open(bus: CommandBus, flow: Flow, perSecond: number, count: number, latency: Histogram): Promise<number> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let sent = 0;
    let done = 0;
    let outstanding = 0;
    let missed = 0;
    const tick = () => {
      const elapsedNs = Number(process.hrtime.bigint() - start);
      const due = Math.min(count, Math.floor((elapsedNs / 1e9) * perSecond));
      while (sent < due) {
        if (outstanding >= OPEN_LOOP_CAP) {
          missed += due - sent;
          break;
        }
        const dueAt = start + BigInt(Math.round((sent / perSecond) * 1e9));
        sent++;
        outstanding++;
        void bus.submit(flow.command()).then((result) => {
          latency.recordValue(Math.max(1, Number((process.hrtime.bigint() - dueAt) / 1000n)));
          flow.track(result);
          outstanding--;
          if (++done === count) resolve(missed);
        });
      }
      if (sent < count) setTimeout(tick, 1);
    };
    tick();
  });
}

const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
const us = (h: Histogram, p: number) => Math.round(h.getValueAtPercentile(p));

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  console.log(`Node ${process.version}, ${COMMANDS} measured commands after ${WARMUP} warm-up ones (20,000 for the single client)\n`);
  const rows: string[][] = [];
  const commitRows: string[][] = [];
  const verdicts: string[] = [];

  /** Both durable variants under one load; `memory` is the in-memory result the ratio is taken against. */
  const durableRuns = async (label: string, load: Load, commands: number, memory: Result) => {
    for (const [name, maxReplicaLag] of [['durable', undefined], ['durable, core+journal', Number.MAX_SAFE_INTEGER]] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-durable-'));
      const fs = new CommitTimes();
      const bus = await openDurableSequencer({ dataDir, logger, observer: fs, snapshotOnClose: false, ...(maxReplicaLag ? { maxReplicaLag } : {}) });
      const durable = await drive(name, bus, load, commands, () => fs.reset());
      const status = bus.status();
      const caughtUp = process.hrtime.bigint();
      await bus.historySynced();
      const historyLagMs = Number(process.hrtime.bigint() - caughtUp) / 1e6;
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
      const ratio = durable.commandsPerSecond / memory.commandsPerSecond;
      rows.push([name, label, String(Math.round(durable.commandsPerSecond)), String(us(durable.latency, 50)), String(us(durable.latency, 99)),
        String(Math.round(durable.latency.maxValue)), durable.cpuMicrosPerCommand.toFixed(1), `${(ratio * 100).toFixed(0)}%`]);
      const commits = fs.commits;
      commitRows.push([name, label, String(commits.totalCount), String(Math.round(commands / Math.max(1, commits.totalCount))), String(us(commits, 50)), String(us(commits, 99)),
        String(Math.round(commits.maxValue)), String(us(fs.writes, 99)), String(us(fs.batchBytes, 50)), `${status.seq - status.historySeq} events, ${historyLagMs.toFixed(0)} ms`]);
      const p99 = commits.getValueAtPercentile(99);
      if (load.kind === 'open') {
        const keptUp = durable.commandsPerSecond >= 0.99 * load.perSecond && durable.missed === 0;
        verdicts.push(`${name}, ${label}: sustained ${Math.round(durable.commandsPerSecond)}/s, `
          + `${(ratio * 100).toFixed(0)}% of in-memory under the same offer (${keptUp ? 'kept up' : 'FELL BEHIND'}), `
          + `group-commit p99 ${(p99 / 1000).toFixed(2)} ms (< 2 ms: ${p99 < 2000 ? 'met' : 'MISSED'})`);
      } else if (load.clients !== SINGLE) {
        verdicts.push(`${name}, ${label}: durable/in-memory ${(ratio * 100).toFixed(0)}% (>= 70%: ${ratio >= 0.7 ? 'met' : 'MISSED'}), `
          + `group-commit p99 ${(p99 / 1000).toFixed(2)} ms (< 2 ms: ${p99 < 2000 ? 'met' : 'MISSED'})`);
      }
    }
  };

  for (const clients of SINGLE > 0 ? [...CLIENT_COUNTS, SINGLE] : CLIENT_COUNTS) {
    const commands = clients === SINGLE ? Math.min(COMMANDS, 20_000) : COMMANDS;
    const label = `${clients} clients`;
    const memory = await drive('in-memory', createInMemorySequencer(createCore(), undefined, logger), { kind: 'closed', clients }, commands);
    rows.push(['in-memory', label, String(Math.round(memory.commandsPerSecond)), String(us(memory.latency, 50)), String(us(memory.latency, 99)), String(Math.round(memory.latency.maxValue)),
      memory.cpuMicrosPerCommand.toFixed(1), '']);
    await durableRuns(label, { kind: 'closed', clients }, commands, memory);
    if ((OPEN_LOOP > 0 || OPEN_RATE > 0) && clients !== SINGLE) {
      const perSecond = OPEN_RATE > 0 ? OPEN_RATE : OPEN_LOOP * memory.commandsPerSecond;
      const openLabel = `open loop, ${Math.round(perSecond)}/s (${((perSecond / memory.commandsPerSecond) * 100).toFixed(0)}% of in-memory's closed-loop rate)`;
      const openMemory = await drive('in-memory', createInMemorySequencer(createCore(), undefined, logger), { kind: 'open', perSecond }, commands);
      rows.push(['in-memory', openLabel, String(Math.round(openMemory.commandsPerSecond)), String(us(openMemory.latency, 50)), String(us(openMemory.latency, 99)),
        String(Math.round(openMemory.latency.maxValue)), openMemory.cpuMicrosPerCommand.toFixed(1), '']);
      await durableRuns(openLabel, { kind: 'open', perSecond }, commands, openMemory);
    }
  }
  row(['sequencer', 'load', 'commands/s', 'ack p50 µs', 'ack p99 µs', 'ack max µs', 'CPU µs/command', 'durable / in-memory (same load)']);
  row(['---', '---', '---', '---', '---', '---', '---', '---']);
  for (const r of rows) row(r);
  console.log('\nGroup commits of the durable runs (measured phase; from the start of a batch\'s write until it is durable):\n');
  row(['sequencer', 'load', 'commits', 'commands per commit', 'p50 µs', 'p99 µs', 'max µs', 'write alone p99 µs', 'batch p50 bytes', 'history behind at the end']);
  row(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']);
  for (const r of commitRows) row(r);
  console.log('');
  for (const verdict of verdicts) console.log(verdict);
}

void main();
