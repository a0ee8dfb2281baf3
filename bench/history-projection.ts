/**
 * What the history projection costs per command, by transaction size: the replica's SQLite work
 * on its own (bench:durable measures it inside the whole durable path). The flow of
 * bench:durable is applied to a trading core once; its events are then projected into a fresh
 * history database (the production settings of openHistoryStore) in transactions of K
 * commands each, for every K given, in turn and then again in reverse order.
 *
 *   npm run bench:history-projection                                   # 100,000 commands; K = 64, 256, 512, 1024
 *   npm run bench:history-projection -- --commands 50000 --sizes 64,512
 *   npm run bench:history-projection -- --autocheckpoint 1000,10000   # and each WAL checkpoint size (pages)
 *   npm run bench:history-projection -- --replica                     # the replica's whole work instead (below)
 *
 * With --replica each transaction's commands are journal records, decoded, applied to a core of
 * the replica's own and projected as the replica does (sequencer/history-events.ts): the whole
 * per-command work of the replica's thread, not the SQLite work alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CoreEvent } from '../server/src/core/api.js';
import { createCore } from '../server/src/core/index.js';
import { HISTORY_WAL_AUTOCHECKPOINT_PAGES, openHistoryStore, type HistoryStore } from '../server/src/history/store.js';
import { RecordBatch } from '../server/src/journal/record-batch.js';
import { applyForHistory, applyRecordsForHistory } from '../server/src/sequencer/history-events.js';
import { openDatabase } from '../server/src/storage/sqlite.js';
import { Flow, setupCommands } from './support/durable-flow.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const COMMANDS = Number(argument('--commands', '100000'));
const SIZES = argument('--sizes', '64,256,512,1024').split(',').map(Number);
/** WAL pages per checkpoint to compare (default: the production setting alone). */
const CHECKPOINTS = argument('--autocheckpoint', String(HISTORY_WAL_AUTOCHECKPOINT_PAGES)).split(',').map(Number);
const REPLICA = process.argv.includes('--replica');

/** Each measured command's events, in order, after the set-up's, and the commands themselves. */
function events(): { setup: CoreEvent[]; perCommand: CoreEvent[][]; commands: Command[]; events: number } {
  const core = createCore();
  let ts = 1;
  const setup: CoreEvent[] = [];
  for (const command of setupCommands()) setup.push(...core.apply({ ts: ts++, command }).events);
  const flow = new Flow();
  const perCommand: CoreEvent[][] = [];
  const commands: Command[] = [];
  let events = 0;
  for (let i = 0; i < COMMANDS; i++) {
    const command = flow.command();
    const result = core.apply({ ts: ts++, command });
    flow.track(result);
    events += result.events.length;
    // With --replica the replica's core makes its own events: these would only burden its GC.
    if (!REPLICA) perCommand.push(result.events);
    commands.push(command);
  }
  return { setup, perCommand, commands, events };
}

/** Projects the precomputed events, `size` commands a transaction; returns the longest transaction in ms. */
function projectEvents(history: HistoryStore, size: number, setup: CoreEvent[], perCommand: CoreEvent[][]): () => number {
  history.project(setup);
  return () => {
    let worst = 0;
    for (let at = 0; at < perCommand.length; at += size) {
      const batch: CoreEvent[] = [];
      for (const commandEvents of perCommand.slice(at, at + size)) for (const event of commandEvents) batch.push(event);
      const begun = performance.now();
      history.project(batch);
      worst = Math.max(worst, performance.now() - begun);
    }
    return worst;
  };
}

/** As the replica does: each transaction's commands journaled (encoded beforehand), decoded, applied, projected. */
function replayRecords(history: HistoryStore, size: number, commands: Command[]): () => number {
  const core = createCore();
  let ts = 1;
  const setup: CoreEvent[] = [];
  for (const command of setupCommands()) applyForHistory(core, { ts: ts++, command }, setup);
  history.project(setup, core.seq);
  const batches: Buffer[] = [];
  for (let at = 0; at < commands.length; at += size) {
    const batch = new RecordBatch();
    const end = Math.min(at + size, commands.length);
    for (let i = at; i < end; i++) batch.append({ index: i + 1, envelope: { ts: ts++, command: commands[i]! } });
    batches.push(Buffer.from(batch.seal(end)));
  }
  return () => {
    let worst = 0;
    for (const bytes of batches) {
      const begun = performance.now();
      const events: CoreEvent[] = [];
      applyRecordsForHistory(core, bytes, events, 0);
      history.project(events, core.seq);
      worst = Math.max(worst, performance.now() - begun);
    }
    return worst;
  };
}

function project(size: number, checkpoint: number, setup: CoreEvent[], perCommand: CoreEvent[][], commands: Command[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  try {
    const history = openHistoryStore(join(dir, 'history.db'), { walAutocheckpointPages: checkpoint });
    const run = REPLICA ? replayRecords(history, size, commands) : projectEvents(history, size, setup, perCommand);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const worst = run();
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    history.close();
    const perCommandUs = (micros: number) => (micros / COMMANDS).toFixed(1);
    return [
      String(checkpoint), String(size), perCommandUs(used.user + used.system), perCommandUs(used.system), perCommandUs(wall * 1000), worst.toFixed(1),
      ...fileSizes(join(dir, 'history.db')),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The file's size once its WAL is checkpointed, and the orders table's bytes (pages and payload) per row. */
function fileSizes(file: string): string[] {
  const db = openDatabase(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    const orders = db.prepare(`SELECT count(*) AS n FROM orders`).get() as { n: number };
    const stat = db.prepare(`SELECT sum(pgsize) AS pages, sum(payload) AS payload FROM dbstat WHERE name = 'orders'`).get() as { pages: number; payload: number };
    return [(pages / 1e6).toFixed(1), (stat.pages / orders.n).toFixed(0), (stat.payload / orders.n).toFixed(0)];
  } finally {
    db.close();
  }
}

const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);

const { setup, perCommand, commands, events: eventCount } = events();
console.log(`Node ${process.version}, ${COMMANDS} commands (${eventCount} events)${REPLICA ? ', the replica\'s whole work' : ''}\n`);
row([
  'WAL pages per checkpoint', 'commands per transaction', 'CPU µs/command', 'of it system µs', 'wall µs/command', 'longest transaction ms',
  'file MB', 'orders table B/row', 'of it payload B/row',
]);
row(['---', '---', '---', '---', '---', '---', '---', '---', '---']);
for (const checkpoint of CHECKPOINTS) for (const size of [...SIZES, ...[...SIZES].reverse()]) row(project(size, checkpoint, setup, perCommand, commands));
