/**
 * Inspects a data directory's journal and snapshots without changing anything (safe while the
 * server runs).
 *
 *   npm run journal -- dump <dir> [--from N] [--to N]   one JSON record per line: {"n","ts","command"}
 *   npm run journal -- verify <dir>                     checks every segment, record and snapshot, and
 *                                                       that replaying the journal from each snapshot
 *                                                       reproduces the next one
 *
 * <dir> is the data directory (or its journal/ directory). Exit status: 0 when everything is
 * intact (a torn tail, which the next start cuts off, is reported but is not damage), 1 when
 * damage is found, 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCore, restoreCore } from '../server/src/core/index.js';
import { JournalCorruptError, scanJournal, type JournalScan } from '../server/src/journal/index.js';
import { SnapshotStore, type StoredSnapshot } from '../server/src/snapshot/index.js';
import pino from 'pino';

const USAGE = 'usage: journal (dump <dir> [--from N] [--to N] | verify <dir>)';

function locate(dir: string): { journal: string; snapshots: string | undefined } {
  if (existsSync(join(dir, 'journal'))) return { journal: join(dir, 'journal'), snapshots: join(dir, 'snapshots') };
  return { journal: dir, snapshots: existsSync(join(dir, '..', 'snapshots')) ? join(dir, '..', 'snapshots') : undefined };
}

function numberOption(args: string[], name: string): number | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${name} needs a positive integer`);
  return value;
}

class UsageError extends Error {}

async function dump(dir: string, args: string[]): Promise<number> {
  const from = numberOption(args, '--from') ?? 1;
  const to = numberOption(args, '--to') ?? Number.MAX_SAFE_INTEGER;
  const scan = await scanJournal(locate(dir).journal, {
    fromIndex: from,
    onRecord: (record) => {
      if (record.index <= to) process.stdout.write(`${JSON.stringify({ n: record.index, ts: record.envelope.ts, command: record.envelope.command })}\n`);
    },
  });
  reportTornTail(scan);
  return 0;
}

function reportTornTail(scan: JournalScan): void {
  const torn = scan.tornTail;
  if (torn) process.stderr.write(`torn tail: ${torn.droppedBytes} bytes at ${torn.path}:${torn.offset} (${torn.reason}); the next start cuts it off\n`);
}

async function verify(dir: string): Promise<number> {
  const { journal, snapshots } = locate(dir);
  let damaged = false;
  const say = (line: string) => process.stdout.write(`${line}\n`);

  // Collect snapshots first, so the journal scan can replay between them as it goes.
  const valid: StoredSnapshot[] = [];
  if (snapshots && existsSync(snapshots)) {
    const store = new SnapshotStore(snapshots, pino({ level: 'silent' }));
    for (const file of (await store.list()).reverse()) {
      const read = await store.read(file);
      if (read.ok) {
        valid.push(read.snapshot);
        say(`snapshot ${file.path}: ok, covers record ${read.snapshot.index}, seq ${read.snapshot.seq}`);
      } else {
        damaged = true;
        say(`snapshot ${file.path}: DAMAGED (${read.reason}); recovery skips it`);
      }
    }
  }

  // Replay from the oldest snapshot the journal reaches; each later snapshot must match the replayed state.
  let scan: JournalScan;
  let core: ReturnType<typeof restoreCore> | undefined;
  let pending = [...valid];
  let mismatches = 0;
  const check = (index: number) => {
    while (core && pending[0] && pending[0].index === index) {
      const expected = pending.shift()!;
      // A binary snapshot is compared in its JSON form (restored, then snapshotted as JSON).
      const expectedJson = expected.core.version === 2 ? restoreCore(expected.core).snapshot() : expected.core;
      if (JSON.stringify(core.snapshot()) !== JSON.stringify(expectedJson)) {
        mismatches++;
        say(`snapshot at record ${expected.index}: DOES NOT MATCH the replayed journal`);
      } else say(`snapshot at record ${expected.index}: matches the replayed journal`);
    }
  };
  try {
    const listing = await scanJournal(journal, { fromIndex: Number.MAX_SAFE_INTEGER });
    const start = pending.find((s) => s.index + 1 >= listing.firstIndex);
    pending = pending.filter((s) => start && s.index > start.index);
    if (start) core = restoreCore(start.core);
    else if (listing.firstIndex === 1) core = createCore();
    else {
      damaged = true;
      say(`journal starts at record ${listing.firstIndex}, but no intact snapshot covers the records before it: this directory cannot be recovered`);
    }
    scan = await scanJournal(journal, {
      fromIndex: start ? start.index + 1 : listing.firstIndex,
      onRecord: (record) => {
        try {
          core?.apply(record.envelope);
        } catch {
          // The sequencer journals commands the core threw on; replay treats them the same way.
        }
        check(record.index);
      },
    });
  } catch (error) {
    if (!(error instanceof JournalCorruptError)) throw error;
    say(`journal: DAMAGED: ${error.message}`);
    return 1;
  }
  for (const segment of scan.segments) {
    say(`segment ${segment.path}: records ${segment.firstIndex}..${segment.lastIndex}, ${segment.validBytes} bytes`);
  }
  say(`journal: records ${scan.firstIndex}..${scan.lastIndex}`);
  reportTornTail(scan);
  if (pending.length > 0) {
    damaged = true;
    say(`snapshots beyond the journal's end (record ${scan.lastIndex}): ${pending.map((s) => s.index).join(', ')}`);
  }
  if (mismatches > 0) damaged = true;
  say(damaged ? 'result: DAMAGED' : 'result: ok');
  return damaged ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, dir, ...rest] = argv;
  if (!dir || (command !== 'dump' && command !== 'verify')) throw new UsageError(USAGE);
  if (!existsSync(dir)) throw new UsageError(`no such directory: ${dir}`);
  return command === 'dump' ? dump(dir, rest) : verify(dir);
}

// exitCode rather than exit(): let a large dump finish draining to its pipe.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof UsageError ? error.message : (error as Error).stack}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
