/**
 * Archives the order, fill and balance history of a data directory.
 *
 *   npm run history -- export --before 2026-01-01 [--data-dir ./data] [--out archive.jsonl] [--delete]
 *
 * Writes every finished order created before the date, and every fill and balance change
 * before it, as JSON lines (`{"table","row"}`) to --out (default: standard output). With
 * --delete, once the file is written and synced, those rows are deleted from history.db in
 * bounded batches. Safe while the service runs (SQLite WAL). Exit status 2 on a usage error.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { exportHistory, pruneHistory } from '../server/src/history/archive.js';
import { openDatabase } from '../server/src/storage/sqlite.js';

const USAGE = 'usage: history export --before DATE [--data-dir DIR] [--out FILE] [--delete]';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] !== 'export') fail('unknown command');
const beforeText = option(args, '--before') ?? fail('--before is required');
const before = Date.parse(beforeText);
if (!Number.isFinite(before)) fail(`--before ${beforeText} is not a date (use ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00:00Z)`);
const dataDir = option(args, '--data-dir') ?? process.env.DATA_DIR ?? './data';
const out = option(args, '--out');
if (args.includes('--delete') && out === undefined) fail('--delete needs --out (the archive must be on disk before anything is deleted)');

const db = openDatabase(join(dataDir, 'history.db'), { synchronous: 'NORMAL' });
const fd = out === undefined ? 1 : openSync(out, 'wx');
const counts = exportHistory(db, before, (line) => void writeSync(fd, line));
if (out !== undefined) {
  fsyncSync(fd);
  closeSync(fd);
}
let deleted = 0;
if (args.includes('--delete')) {
  for (let n; (n = pruneHistory(db, before, 5000)) > 0;) deleted += n;
  db.pragma('wal_checkpoint(TRUNCATE)');
}
db.close();
process.stderr.write(`${JSON.stringify({ before: new Date(before).toISOString(), ...counts, deleted })}\n`);
