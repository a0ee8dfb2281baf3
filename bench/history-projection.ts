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
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreEvent } from '../server/src/core/api.js';
import { createCore } from '../server/src/core/index.js';
import { HISTORY_WAL_AUTOCHECKPOINT_PAGES, openHistoryStore } from '../server/src/history/store.js';
import { Flow, setupCommands } from './support/durable-flow.js';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const COMMANDS = Number(argument('--commands', '100000'));
const SIZES = argument('--sizes', '64,256,512,1024').split(',').map(Number);
/** WAL pages per checkpoint to compare (default: the production setting alone). */
const CHECKPOINTS = argument('--autocheckpoint', String(HISTORY_WAL_AUTOCHECKPOINT_PAGES)).split(',').map(Number);

/** Each measured command's events, in order, after the set-up's. */
function events(): { setup: CoreEvent[]; perCommand: CoreEvent[][] } {
  const core = createCore();
  let ts = 1;
  const setup: CoreEvent[] = [];
  for (const command of setupCommands()) setup.push(...core.apply({ ts: ts++, command }).events);
  const flow = new Flow();
  const perCommand: CoreEvent[][] = [];
  for (let i = 0; i < COMMANDS; i++) {
    const result = core.apply({ ts: ts++, command: flow.command() });
    flow.track(result);
    perCommand.push(result.events);
  }
  return { setup, perCommand };
}

function project(size: number, checkpoint: number, setup: CoreEvent[], perCommand: CoreEvent[][]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  try {
    const history = openHistoryStore(join(dir, 'history.db'), { walAutocheckpointPages: checkpoint });
    history.project(setup);
    let worst = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let at = 0; at < perCommand.length; at += size) {
      const batch: CoreEvent[] = [];
      for (const commandEvents of perCommand.slice(at, at + size)) for (const event of commandEvents) batch.push(event);
      const begun = performance.now();
      history.project(batch);
      worst = Math.max(worst, performance.now() - begun);
    }
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    history.close();
    const perCommandUs = (micros: number) => (micros / perCommand.length).toFixed(1);
    return [String(checkpoint), String(size), perCommandUs(used.user + used.system), perCommandUs(used.system), perCommandUs(wall * 1000), worst.toFixed(1)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);

const { setup, perCommand } = events();
console.log(`Node ${process.version}, ${COMMANDS} commands (${perCommand.reduce((n, e) => n + e.length, 0)} events)\n`);
row(['WAL pages per checkpoint', 'commands per transaction', 'CPU µs/command', 'of it system µs', 'wall µs/command', 'longest transaction ms']);
row(['---', '---', '---', '---', '---', '---']);
for (const checkpoint of CHECKPOINTS) for (const size of [...SIZES, ...[...SIZES].reverse()]) row(project(size, checkpoint, setup, perCommand));
