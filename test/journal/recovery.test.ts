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
import { dataEnd, envelope, writeRecords } from './journal-files.js';

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

/** Applies `change` to the segment's bytes and writes them back; returns where its data ended before. */
function edit(file: string, change: (bytes: Buffer, end: number) => void): number {
  const bytes = readFileSync(file);
  const end = dataEnd(bytes);
  change(bytes, end);
  writeFileSync(file, bytes);
  return end;
}

describe('journal recovery: torn tails are cut off and reported, never misread', () => {
  // journalWith(10) writes batches [1-3] [4-6] [7-9] [10].
  it('a last record cut short at any byte is dropped; the journal continues right after the previous one', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: recordSize - 1 }), async (cut) => {
      const dir = await journalWith(10);
      const file = onlySegment(dir);
      const end = edit(file, (bytes, dataEndAt) => bytes.fill(0, dataEndAt - cut, dataEndAt));
      truncateSync(file, end - cut);
      const { replayed, scan, appended, logs } = await reopen(dir);
      expect(replayed.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(scan.tornTail).toMatchObject({ path: file, offset: end - recordSize });
      // What is left of the record (its zero bytes at the very end read as zero fill).
      expect(scan.tornTail!.droppedBytes).toBeGreaterThan(0);
      expect(scan.tornTail!.droppedBytes).toBeLessThanOrEqual(recordSize - cut);
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
      edit(onlySegment(dir), (bytes, end) => {
        bytes[end - recordSize + at]! ^= 1 << bit;
      });
      const { replayed, logs } = await reopen(dir);
      expect(replayed).toHaveLength(9);
      expect(logs.matching('torn tail')).toHaveLength(1);
    }), { numRuns: 25 });
  });

  it('a final batch is kept or dropped whole: a hole in it (pages persisted out of order) drops all of it', async () => {
    const dir = newDir();
    const writer = await writeRecords(dir, 6, {}, 3);
    const file = onlySegment(dir);
    const endOfSix = dataEnd(readFileSync(file));
    for (let i = 7; i <= 10; i++) writer.append(envelope(i));
    await writer.whenDurable(10);
    await writer.close();
    // Batches: [1-3] [4-6] [7-10]. Zero a stretch inside record 8, in the middle of the last batch.
    edit(file, (bytes) => bytes.fill(0, endOfSix + recordSize + 10, endOfSix + recordSize + 40));
    const { replayed, scan, appended } = await reopen(dir);
    expect(replayed.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(scan.tornTail).toMatchObject({ offset: endOfSix, reason: 'record checksum mismatch' });
    expect(appended).toBe(7);
  });

  it('the last two batches may both be torn (two are in flight in the pipeline): damage in the one before the last drops both', async () => {
    const dir = newDir();
    const writer = await writeRecords(dir, 6, {}, 3);
    const file = onlySegment(dir);
    const endOfSix = dataEnd(readFileSync(file));
    for (let i = 7; i <= 9; i++) writer.append(envelope(i));
    await writer.whenDurable(9);
    writer.append(envelope(10));
    await writer.whenDurable(10);
    await writer.close();
    // Batches: [1-3] [4-6] [7-9] [10]. A page of [7-9] never reached the disk; [10]'s did.
    edit(file, (bytes) => bytes.fill(0, endOfSix + recordSize + 10, endOfSix + recordSize + 40));
    const { replayed, scan, appended } = await reopen(dir);
    expect(replayed.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(scan.tornTail).toMatchObject({ offset: endOfSix, reason: 'record checksum mismatch' });
    expect(appended).toBe(7);
  });

  it('a final batch whose last records never arrived is dropped whole', async () => {
    const dir = newDir();
    const writer = await writeRecords(dir, 3, {}, 3);
    for (let i = 4; i <= 7; i++) writer.append(envelope(i));
    await writer.whenDurable(7);
    await writer.close();
    edit(onlySegment(dir), (bytes, end) => bytes.fill(0, end - 2 * recordSize + 1, end));
    const { replayed, scan } = await reopen(dir);
    expect(replayed.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(scan.tornTail).toBeDefined();
  });

  it('zeros after the last record are the end of the data, not damage', async () => {
    const dir = await journalWith(5);
    const file = onlySegment(dir);
    appendFileSync(file, Buffer.alloc(4096));
    const { replayed, scan, logs } = await reopen(dir);
    expect(replayed).toHaveLength(5);
    expect(scan.tornTail).toBeUndefined();
    expect(logs.matching('torn tail')).toHaveLength(0);
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
  it('a flipped bit in a record followed by intact later batches', async () => {
    const dir = await journalWith(10);
    const file = onlySegment(dir);
    edit(file, (bytes, end) => {
      bytes[end - 5 * recordSize + 20]! ^= 0x04; // record 6, with batches [7-9] and [10] after it
    });
    const size = statSync(file).size;
    await expect(reopen(dir)).rejects.toThrow(JournalCorruptError);
    await expect(reopen(dir)).rejects.toThrow(/later batches follow it/);
    expect(statSync(file).size).toBe(size);
  });

  it('damage at the end of a segment that is not the last one', async () => {
    const dir = await journalWith(60, { maxSegmentBytes: 800 });
    const first = join(dir, readdirSync(dir).sort()[0]!);
    edit(first, (bytes, end) => bytes.fill(0, end - 3, end));
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

  it('starting inside a segment and inside a batch, delivers exactly the records from fromIndex on, whole batches only', async () => {
    const dir = await journalWith(40);
    for (const fromIndex of [1, 2, 17, 40, 41]) {
      const seen: number[] = [];
      const scan = await scanJournal(dir, { fromIndex, onRecord: (r) => seen.push(r.index) });
      expect(seen).toEqual(Array.from({ length: 41 - fromIndex }, (_, i) => i + fromIndex));
      expect(scan.lastIndex).toBe(40);
    }
  });

  it('still finds damage in records below fromIndex, which it checks without decoding', async () => {
    const dir = await journalWith(10);
    edit(onlySegment(dir), (bytes, end) => {
      bytes[end - 8 * recordSize + 20]! ^= 0x04; // record 3, with later batches after it
    });
    await expect(scanJournal(dir, { fromIndex: 9 })).rejects.toThrow(/later batches follow it/);
  });
});
