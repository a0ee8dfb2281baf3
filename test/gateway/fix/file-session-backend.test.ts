/**
 * The append-only FIX session file across crashes: a record torn or corrupted at any byte ends
 * the log at the last whole record (what was committed), the file is cut back there and later
 * commits follow it; a process killed while it commits loses nothing it had acknowledged, also
 * when killed between the write and the fdatasync of a pipelined batch (a restart rebuilds the
 * index from every record the file holds, acknowledged or not); a
 * data directory of the SQLite version is moved into the file at start, and its sessions resume
 * and resend from it over real sockets.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileFixSessionBackend } from '../../../server/src/gateway/fix/file-session-backend.js';
import type { FixStoreBatch } from '../../../server/src/gateway/fix/session-backend.js';
import { SqliteFixSessionBackend } from '../../../server/src/gateway/fix/sqlite-session-backend.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { tempDirs } from '../../durability/support/temp-dir.js';
import { loggedOn, startVenue } from './harness.js';

const newDir = tempDirs('fix-session-file');
const KEY = 'FIX.4.4:EXCH->C1|acc-1';

/** Batch n: message n (with a non-ASCII byte and SOHs), numbers n+1 / n, and order o<n> owned by the session. */
function batch(n: number): FixStoreBatch {
  return { resets: [], messages: [[KEY, n, `35=8\x0134=${n}\x0158=é${'x'.repeat(n % 7)}\x01`]], seqs: [[KEY, { nextSender: n + 1, nextTarget: n }]], owners: [[`o${n}`, KEY]] };
}

/** What the file must hold after batches 1..n. */
/** Runs the writer process (support/file-session-writer.ts), handing each line it prints to `onLine`, until it exits. */
async function runWriter(args: string[], onLine: (line: string, kill: () => void) => void): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'file-session-writer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const kill = (): void => { child.kill('SIGKILL'); };
  for await (const line of createInterface({ input: child.stdout! })) onLine(line, kill);
  await exited;
}

function expectHolds(backend: FileFixSessionBackend, n: number): void {
  expect(backend.load(KEY)).toEqual(n === 0 ? undefined : { nextSender: n + 1, nextTarget: n });
  expect(backend.messages(KEY, 1, 1000).map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  for (const m of backend.messages(KEY, 1, 1000)) expect(m.raw).toBe(batch(m.seq).messages[0]![2]);
  expect(backend.orderOwner(`o${n}`)).toBe(n === 0 ? undefined : KEY);
  expect(backend.orderOwner(`o${n + 1}`)).toBeUndefined();
}

describe('FIX session file', () => {
  it('a record cut or corrupted at any byte, with or without zeros after it, ends the log at the last whole record; the file is cut back and later commits follow', async () => {
    const dir = newDir();
    const file = join(dir, 'fix-sessions.log');
    const writer = new FileFixSessionBackend(file, { synchronous: 'NORMAL' });
    const ends = [writer.size];
    for (let n = 1; n <= 6; n++) {
      await writer.write(batch(n));
      ends.push(writer.size);
    }
    writer.close();
    const whole = readFileSync(file);
    const committedAt = (length: number): number => ends.filter((end) => end <= length).length - 1;
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: ends[0]!, max: whole.length }),
      fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      fc.nat(600),
      async (cut, flip, zeros) => {
        const copy = join(dir, 'copy.log');
        const bytes = Buffer.from(whole.subarray(0, cut));
        // Corrupt a byte of the last (possibly partial) record, or tear it.
        const lastEnd = ends[committedAt(cut)]!;
        if (flip !== undefined && cut > lastEnd) bytes[lastEnd + (flip % (cut - lastEnd))]! ^= 0x5a;
        // Space zero-filled ahead of the records (a synced file keeps some) follows what was written.
        writeFileSync(copy, Buffer.concat([bytes, Buffer.alloc(zeros)]));
        const n = committedAt(cut);
        const reopened = new FileFixSessionBackend(copy, { synchronous: 'NORMAL' });
        try {
          expectHolds(reopened, n);
          expect(statSync(copy).size).toBe(ends[n]);
          // The next commit follows the last whole record and survives another restart.
          await reopened.write(batch(n + 1));
        } finally {
          reopened.close();
        }
        const again = new FileFixSessionBackend(copy, { synchronous: 'NORMAL' });
        try {
          expectHolds(again, n + 1);
        } finally {
          again.close();
        }
      },
    ), { numRuns: 120 });
  });

  it('a reset drops the session\'s messages; a file more dead than live is compacted at open, keeping the live state', async () => {
    const file = join(newDir(), 'fix-sessions.log');
    const first = new FileFixSessionBackend(file);
    for (let n = 1; n <= 20; n++) await first.write(batch(n));
    await first.write({ resets: [KEY], messages: [[KEY, 1, 'after-reset']], seqs: [[KEY, { nextSender: 2, nextTarget: 1 }]], owners: [] });
    expect(first.deadBytes).toBeGreaterThan(0);
    // Where the records end (zeros kept ahead of them follow, in a synced file).
    const before = first.size;
    await first.close();
    const compacted = new FileFixSessionBackend(file, { compactAboveBytes: 0 });
    try {
      expect(compacted.size).toBeLessThan(before);
      expect(compacted.deadBytes).toBe(0);
      expect(compacted.load(KEY)).toEqual({ nextSender: 2, nextTarget: 1 });
      expect(compacted.messages(KEY, 1, 100)).toEqual([{ seq: 1, raw: 'after-reset' }]);
      expect(compacted.orderOwner('o20')).toBe(KEY);
    } finally {
      compacted.close();
    }
  });

  it('a process killed while it commits loses no acknowledged commit, and what it holds is a prefix of the commits', { timeout: 120_000 }, async () => {
    for (let run = 0; run < 3; run++) {
      const file = join(newDir(), 'fix-sessions.log');
      let acked = 0;
      const killAfter = 30 + run * 40;
      await runWriter([file], (line, kill) => {
        if (line.startsWith('acked ')) acked = Number(line.slice(6));
        if (acked >= killAfter) kill();
      });
      expect(acked).toBeGreaterThanOrEqual(killAfter);
      const reopened = new FileFixSessionBackend(file);
      try {
        const seqs = reopened.load(KEY);
        const held = seqs ? seqs.nextSender - 1 : 0;
        expect(held).toBeGreaterThanOrEqual(acked);
        expectHolds(reopened, held);
      } finally {
        reopened.close();
      }
    }
  });

  it('a process killed between the write and the fdatasync of pipelined batches acknowledged neither; a restart rebuilds both from the file and carries on after them', { timeout: 60_000 }, async () => {
    const H = 25;
    const file = join(newDir(), 'fix-sessions.log');
    let acked = 0;
    let held = 0;
    await runWriter([file, String(H)], (line, kill) => {
      if (line.startsWith('acked ')) acked = Number(line.slice(6));
      if (line === 'held') held++;
      // Batches H+1 and H+2 are written and their syncs will never return: kill now.
      if (held === 2 && acked === H) kill();
    });
    // Nothing was acknowledged (so nothing could have gone on the wire) past the last returned sync.
    expect([acked, held]).toEqual([H, 2]);
    const reopened = new FileFixSessionBackend(file);
    try {
      // The process died, not the machine: both written records are in the file and in the index.
      expectHolds(reopened, H + 2);
      await reopened.write(batch(H + 3));
      expectHolds(reopened, H + 3);
    } finally {
      reopened.close();
    }
    const again = new FileFixSessionBackend(file);
    try {
      expectHolds(again, H + 3);
    } finally {
      again.close();
    }
  });

  it('moves a SQLite session store of an earlier version into the file at start: the session resumes its numbers and resends its reports', { timeout: 60_000 }, async () => {
    const venue = await startVenue({ clients: { MOVED: 'acc-moved' } });
    const dataDir = venue.dataDir;
    try {
      await venue.close(true);
      // An earlier version's data directory: the session's numbers, one sent report and an owner, in SQLite.
      const logFile = join(dataDir, 'fix-sessions.log');
      rmSync(logFile, { force: true });
      const key = `FIX.4.4:EXCH->MOVED|acc-moved`;
      const sqlite = new SqliteFixSessionBackend(join(dataDir, 'fix-sessions.sqlite'));
      const report = `8=FIX.4.4\x019=5\x0135=8\x0149=EXCH\x0156=MOVED\x0134=4\x0152=${formatUtcTimestamp(Date.now())}\x0137=77\x0111=OLD\x0117=9\x01150=0\x0139=0\x0155=BTC-USD\x0154=1\x01151=1\x0114=0\x016=0\x0110=000\x01`;
      sqlite.write({ resets: [], messages: [[key, 4, report]], seqs: [[key, { nextSender: 5, nextTarget: 7 }]], owners: [['77', key]] });
      sqlite.close();
      const moved = await startVenue({ clients: { MOVED: 'acc-moved' }, dataDir });
      try {
        expect(existsSync(logFile)).toBe(true);
        expect(existsSync(join(dataDir, 'fix-sessions.sqlite.imported'))).toBe(true);
        // Logon at 7, as the stored numbers say; our side carries on at 5.
        const c = await loggedOn(moved, 'MOVED', { seq: 7 });
        expect(c.received[0]!.get(34)).toBe('5');
        c.send('2', [[7, '1'], [16, '0']]);
        const resent = await c.next('8');
        expect([resent.get(34), resent.get(43), resent.get(11)]).toEqual(['4', 'Y', 'OLD']);
        c.close();
      } finally {
        await moved.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
