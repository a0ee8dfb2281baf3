import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JournalCorruptError } from '../../server/src/journal/errors.js';
import { encodeRecord, encodeSegmentHeader, type JournalRecord } from '../../server/src/journal/format.js';
import { openJournal } from '../../server/src/journal/open.js';
import { scanJournal } from '../../server/src/journal/reader.js';
import { segmentFileName } from '../../server/src/journal/segments.js';
import { captureLogs } from '../durability/support/log-capture.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { envelope, writeRecords } from './journal-files.js';

const newDir = tempDirs('journal-recovery');

async function journalWith(count: number, options: { maxSegmentBytes?: number } = {}): Promise<string> {
  const dir = newDir();
  const writer = await writeRecords(dir, count, options, 3);
  await writer.close();
  return dir;
}

function onlySegment(dir: string): string {
  const names = readdirSync(dir);
  expect(names).toHaveLength(1);
  return join(dir, names[0]!);
}

/** Opens the journal like a restart does and returns what it replayed, then appends one more record. */
async function reopen(dir: string, fromIndex = 1) {
  const logs = captureLogs();
  const replayed: JournalRecord[] = [];
  const { writer, scan } = await openJournal({ dir, logger: logs.logger, fromIndex, onRecord: (r) => replayed.push(r) });
  const appended = writer.append(envelope(9999));
  await writer.whenDurable(appended);
  await writer.close();
  return { replayed, scan, appended, logs };
}

const recordSize = encodeRecord({ index: 10, envelope: envelope(10) }).length;

describe('journal recovery: torn tails are cut off and reported, never misread', () => {
  it('a last record cut short at any byte is dropped; the journal continues right after the previous one', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: recordSize - 1 }), async (cut) => {
      const dir = await journalWith(10);
      const file = onlySegment(dir);
      const full = statSync(file).size;
      truncateSync(file, full - cut);
      const { replayed, scan, appended, logs } = await reopen(dir);
      expect(replayed.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(scan.tornTail).toMatchObject({ path: file, offset: full - recordSize, droppedBytes: recordSize - cut });
      expect(logs.matching('torn tail')).toHaveLength(1);
      expect(appended).toBe(10);
      const again = await scanJournal(dir);
      expect(again.tornTail).toBeUndefined();
      expect(again.lastIndex).toBe(10);
    }), { numRuns: 25 });
  });

  it('a flipped bit anywhere in the last record drops that record only', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: recordSize - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
      const dir = await journalWith(10);
      const file = onlySegment(dir);
      const bytes = readFileSync(file);
      bytes[bytes.length - recordSize + at]! ^= 1 << bit;
      writeFileSync(file, bytes);
      const { replayed, logs } = await reopen(dir);
      expect(replayed).toHaveLength(9);
      expect(logs.matching('torn tail')).toHaveLength(1);
    }), { numRuns: 25 });
  });

  it('a zero-filled tail (a file system extending the file without its data) is cut off', async () => {
    const dir = await journalWith(5);
    const file = onlySegment(dir);
    const size = statSync(file).size;
    appendFileSync(file, Buffer.alloc(4096));
    const { replayed, scan } = await reopen(dir);
    expect(replayed).toHaveLength(5);
    expect(scan.tornTail).toMatchObject({ offset: size, droppedBytes: 4096 });
  });

  it('a new segment whose header never became durable is removed', async () => {
    const dir = await journalWith(5);
    const torn = join(dir, segmentFileName(6));
    writeFileSync(torn, encodeSegmentHeader(6).subarray(0, 7));
    const { replayed, scan, appended } = await reopen(dir);
    expect(replayed).toHaveLength(5);
    expect(scan.tornTail).toMatchObject({ path: torn, wholeSegment: true });
    expect(appended).toBe(6);
    expect((await scanJournal(dir)).lastIndex).toBe(6);
  });
});

describe('journal recovery: damage that is not a torn tail stops start-up', () => {
  it('a flipped bit in a record followed by intact records', async () => {
    const dir = await journalWith(10);
    const file = onlySegment(dir);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5 * recordSize + 20]! ^= 0x04;
    writeFileSync(file, bytes);
    const size = statSync(file).size;
    await expect(reopen(dir)).rejects.toThrow(JournalCorruptError);
    await expect(reopen(dir)).rejects.toThrow(/valid records follow it/);
    expect(statSync(file).size).toBe(size);
  });

  it('damage at the end of a segment that is not the last one', async () => {
    const dir = await journalWith(60, { maxSegmentBytes: 800 });
    const first = join(dir, readdirSync(dir).sort()[0]!);
    truncateSync(first, statSync(first).size - 3);
    await expect(reopen(dir)).rejects.toThrow(JournalCorruptError);
  });

  it('a missing segment in the middle', async () => {
    const dir = await journalWith(60, { maxSegmentBytes: 800 });
    const names = readdirSync(dir).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    unlinkSync(join(dir, names[1]!));
    await expect(reopen(dir)).rejects.toThrow(/expected/);
  });

  it('a journal that starts after the records the snapshot needs, or ends before them', async () => {
    const dir = await journalWith(60, { maxSegmentBytes: 800 });
    const names = readdirSync(dir).sort();
    const secondFirst = Number(names[1]!.slice(0, 20));
    unlinkSync(join(dir, names[0]!));
    await expect(reopen(dir, secondFirst - 1)).rejects.toThrow(/records from/);
    await expect(reopen(dir, 200)).rejects.toThrow(/journal ends at record 60/);
  });

  it('a journal deleted from under its snapshot', async () => {
    const dir = newDir();
    await expect(reopen(dir, 50)).rejects.toThrow(/journal is empty/);
  });
});

describe('journal scan', () => {
  it('skips reading segments wholly below fromIndex but still delivers every later record once', async () => {
    const dir = await journalWith(60, { maxSegmentBytes: 800 });
    const seen: number[] = [];
    const scan = await scanJournal(dir, { fromIndex: 33, onRecord: (r) => seen.push(r.index) });
    expect(seen).toEqual(Array.from({ length: 28 }, (_, i) => i + 33));
    expect(scan.firstIndex).toBe(1);
    expect(scan.lastIndex).toBe(60);
  });
});
