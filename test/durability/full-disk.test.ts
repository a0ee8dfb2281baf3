/**
 * A full disk, for real where the test may mount a small tmpfs (root with CAP_SYS_ADMIN), and
 * through an injected ENOSPC in the journal's file layer where it may not, so this never skips.
 * At start-up it is a clear error; at run time the sequencer refuses commands with
 * DurabilityError, never acknowledges one it could not journal, and after space is freed a
 * restart holds exactly the acknowledged commands.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from '../../server/src/core/api.js';
import { JournalClosedError, JournalWriter, scanJournal, type JournalFileSystem } from '../../server/src/journal/index.js';
import { DurabilityError } from '../../server/src/sequencer/api.js';
import { DataDirectoryError } from '../../server/src/sequencer/data-directory.js';
import { openDurableSequencer } from '../../server/src/sequencer/durable.js';
import { dataEnd, FaultyFileSystem } from '../journal/journal-files.js';
import { captureLogs } from './support/log-capture.js';
import { tempDirs } from './support/temp-dir.js';

const newDir = tempDirs('full-disk');
const mounted: string[] = [];
afterAll(() => {
  // Lazy: a failed test may still hold files open under the mount.
  for (const point of mounted) execFileSync('umount', ['-l', point]);
});

/** A disk that can be filled and freed: a real tmpfs, or the injected file layer. */
interface Disk {
  kind: string;
  dataDir: string;
  fileSystem?: JournalFileSystem;
  fill(): void;
  free(): void;
}

function tmpfsDisk(): Disk | undefined {
  const point = join(newDir(), 'mnt');
  mkdirSync(point);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', point], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  mounted.push(point);
  const filler = join(point, 'filler');
  return {
    kind: 'tmpfs',
    dataDir: join(point, 'data'),
    fill() {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(4096, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      // Give back 64 KiB: the disk fills up during the run rather than on the first write.
      truncateSync(filler, statSync(filler).size - 64 * 1024);
    },
    free: () => rmSync(filler),
  };
}

function injectedDisk(code = 'ENOSPC'): Disk {
  const fs = new FaultyFileSystem();
  fs.errorCode = code;
  fs.partialBytes = 9;
  return {
    kind: `injected ${code}`,
    dataDir: join(newDir(), 'data'),
    fileSystem: fs,
    // A few more batches go through first, like a disk with a little space left.
    fill: () => (fs.failAfterWrites = fs.writes + 3),
    free: () => (fs.failAfterWrites = Number.POSITIVE_INFINITY),
  };
}

const realOrInjected = (): Disk => tmpfsDisk() ?? injectedDisk();

const setup: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'alice' },
];
const deposit = (cents: number): Command => ({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: (cents / 100).toFixed(2) });

function open(disk: Disk) {
  const logs = captureLogs();
  // Small segments: each new one needs fresh space, so the run reaches the full disk however much
  // of the first segment the writer zero-filled (in the background) before the disk was filled.
  return openDurableSequencer({ dataDir: disk.dataDir, logger: logs.logger, snapshotOnClose: false, maxSegmentBytes: 256 * 1024, ...(disk.fileSystem ? { fileSystem: disk.fileSystem } : {}) })
    .then((bus) => ({ bus, logs }));
}

async function runUntilFull(disk: Disk): Promise<void> {
  const { bus, logs } = await open(disk);
  for (const command of setup) expect((await bus.submit(command)).ok).toBe(true);
  disk.fill();

  let ackedCents = 0n;
  let refused = 0;
  // Batches of concurrent deposits until the disk refuses; each is 0.01..5.00 USD.
  for (let round = 0; round < 400 && refused === 0; round++) {
    const amounts = Array.from({ length: 50 }, (_, i) => 1 + ((round * 50 + i) * 37) % 500);
    const outcomes = await Promise.allSettled(amounts.map((cents) => bus.submit(deposit(cents))));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') ackedCents += BigInt(amounts[i]!);
      else {
        expect(outcome.reason).toBeInstanceOf(DurabilityError);
        refused++;
      }
    });
  }
  expect(refused).toBeGreaterThan(0);
  expect(bus.healthy).toBe(false);
  await expect(bus.submit(deposit(1))).rejects.toBeInstanceOf(DurabilityError);
  expect(() => bus.core.balances('alice')).toThrow(DurabilityError);
  expect(logs.matching('durability lost')).toHaveLength(1);
  await bus.close();

  disk.free();
  const restarted = await open(disk);
  expect(restarted.bus.healthy).toBe(true);
  const total = restarted.bus.core.balances('alice')?.find((b) => b.asset === 'USD')?.total ?? '0';
  const [units, cents = ''] = total.split('.');
  expect(BigInt(units!) * 100n + BigInt(cents.padEnd(2, '0'))).toBe(ackedCents);
  expect((await restarted.bus.submit(deposit(1))).ok).toBe(true);
  await restarted.bus.close();
}

describe('full disk', () => {
  it('the journal writer itself on a full disk: the write fails, the partial batch is cut back, nothing more is accepted', async () => {
    const disk = realOrInjected();
    mkdirSync(disk.dataDir, { recursive: true });
    const failures: Error[] = [];
    const writer = await JournalWriter.open({ dir: disk.dataDir, nextIndex: 1, onFailure: (e) => failures.push(e), ...(disk.fileSystem ? { fs: disk.fileSystem } : {}) });
    for (let i = 1; i <= 10; i++) writer.append({ ts: i, command: deposit(i) });
    await writer.whenDurable(10);
    const segment = join(disk.dataDir, readdirSync(disk.dataDir)[0]!);
    const durableEnd = dataEnd(readFileSync(segment));
    disk.fill();
    let last = 10;
    // Big batches (about 140 KiB each) outgrow whatever space is left.
    await expect((async () => {
      for (;;) {
        for (let i = 0; i < 1000; i++) last = writer.append({ ts: last, command: deposit(last) });
        await writer.whenDurable(last);
      }
    })()).rejects.toThrow(/ENOSPC/);
    expect(failures).toHaveLength(1);
    expect(() => writer.append({ ts: 0, command: deposit(1) })).toThrow(JournalClosedError);
    const replayed: number[] = [];
    const scan = await scanJournal(disk.dataDir, { onRecord: (r) => replayed.push(r.index) });
    expect(scan.tornTail).toBeUndefined();
    expect(replayed).toEqual(Array.from({ length: writer.durableIndex }, (_, i) => i + 1));
    expect(dataEnd(readFileSync(segment))).toBeGreaterThanOrEqual(durableEnd);
    await writer.close();
    disk.free();
  });

  it('at start-up: a clear DataDirectoryError naming the directory and the cause', async () => {
    const disk = realOrInjected();
    mkdirSync(disk.dataDir, { recursive: true });
    disk.fill();
    const attempt = open(disk);
    await expect(attempt).rejects.toBeInstanceOf(DataDirectoryError);
    await expect(open(disk)).rejects.toThrow(`data directory ${disk.dataDir}: cannot write: the disk is full (ENOSPC)`);
    disk.free();
    const { bus } = await open(disk);
    await bus.close();
  });

  it('at run time (a real tmpfs when it can be mounted): refuses, never acknowledges unjournaled commands, recovers after space is freed', async () => {
    await runUntilFull(realOrInjected());
  });

  it('at run time through an injected ENOSPC from the journal file layer', async () => {
    await runUntilFull(injectedDisk('ENOSPC'));
  });

  it('at run time through an injected I/O error (EIO)', async () => {
    await runUntilFull(injectedDisk('EIO'));
  });
});
