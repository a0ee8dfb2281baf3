import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanJournal } from '../../server/src/journal/reader.js';
import { retireSegments } from '../../server/src/journal/retention.js';
import { JournalClosedError, JournalWriter } from '../../server/src/journal/writer.js';
import type { JournalRecord } from '../../server/src/journal/format.js';
import { tempDirs } from '../durability/support/temp-dir.js';
import { eventually } from '../helpers/eventually.js';
import { dataEnd, envelope, FaultyFileSystem, writeRecords } from './journal-files.js';

const newDir = tempDirs('journal-writer');

async function readAll(dir: string): Promise<JournalRecord[]> {
  const records: JournalRecord[] = [];
  await scanJournal(dir, { onRecord: (r) => records.push(r) });
  return records;
}

describe('journal writer', () => {
  it('zero-fills the segment ahead of the records, so batches overwrite allocated space', async () => {
    const dir = newDir();
    const writer = await writeRecords(dir, 20);
    await writer.close();
    const bytes = readFileSync(join(dir, readdirSync(dir)[0]!));
    const end = dataEnd(bytes);
    expect(end).toBeGreaterThan(20 * 60);
    expect(bytes.length).toBeGreaterThanOrEqual(end + 2 * 1024 * 1024);
    expect((await scanJournal(dir)).segments[0]).toMatchObject({ lastIndex: 20, validBytes: end, fileBytes: bytes.length });
  });

  it('writes records that read back in order with consecutive indexes', async () => {
    const dir = newDir();
    const writer = await writeRecords(dir, 250);
    await writer.close();
    const records = await readAll(dir);
    expect(records.map((r) => r.index)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(records.map((r) => r.envelope)).toEqual(Array.from({ length: 250 }, (_, i) => envelope(i + 1)));
  });

  it('group-commits: one sync per batch appended in one event-loop turn, not one per record', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const writer = await writeRecords(dir, 500, { fs }, 100);
    await writer.close();
    expect(fs.recordWrites).toBe(5);
    expect((await readAll(dir)).length).toBe(500);
  });

  it('reports each batch as durable only after its sync, in order', async () => {
    const dir = newDir();
    const durable: number[] = [];
    const writer = await JournalWriter.open({ dir, nextIndex: 1, onDurable: (i) => durable.push(i) });
    for (let i = 1; i <= 5; i++) writer.append(envelope(i));
    expect(writer.durableIndex).toBe(0);
    await writer.whenDurable(5);
    for (let i = 6; i <= 8; i++) writer.append(envelope(i));
    await writer.whenDurable(8);
    expect(durable).toEqual([5, 8]);
    expect(writer.durableIndex).toBe(8);
    await writer.close();
  });

  it('pipelines: writes batch N+1 while N syncs, at most two batches in flight, reported durable strictly in order', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const durable: number[] = [];
    const writer = await JournalWriter.open({ dir, nextIndex: 1, fs, onDurable: (i) => durable.push(i) });
    writer.append(envelope(1));
    await writer.whenDurable(1);
    // The zero fill ahead of the records is written and synced (so held syncs do not stall it).
    await eventually(() => expect(fs.syncs).toBe(2));
    const release = fs.holdSyncs();
    for (let i = 2; i <= 4; i++) writer.append(envelope(i));
    await eventually(() => expect(fs.recordWrites).toBe(2));
    // The next turn's records are written while the first batch's sync is still outstanding.
    for (let i = 5; i <= 6; i++) writer.append(envelope(i));
    await eventually(() => expect(fs.recordWrites).toBe(3));
    // A third batch waits: two are in flight already.
    writer.append(envelope(7));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fs.recordWrites).toBe(3);
    expect(writer.durableIndex).toBe(1);
    expect(durable).toEqual([1]);
    release();
    await writer.whenDurable(7);
    expect(durable).toEqual([1, 4, 6, 7]);
    expect(fs.recordWrites).toBe(4);
    await writer.close();
    expect((await readAll(dir)).map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('never zero-fills ahead while a batch that reaches past the filled space is being written', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const writer = await JournalWriter.open({ dir, nextIndex: 1, fs });
    writer.append(envelope(1));
    await writer.whenDurable(1);
    await eventually(() => expect(fs.syncs).toBe(2));
    const filled = statSync(join(dir, readdirSync(dir)[0]!)).size;
    let next = 2;
    const appendBytes = (bytes: number): number => {
      let last = 0;
      for (let sum = 0; sum < bytes; next++) {
        last = writer.append(envelope(next));
        sum += JSON.stringify(envelope(next)).length;
      }
      return last;
    };
    // Batch N takes the records past half of the filled space, so a fill is due once it is
    // durable; its sync is slow. Batch N+1 reaches past the filled space and is being written
    // when N's sync returns: the fill due then must wait until that write has ended.
    const releaseSyncs = fs.holdSyncs();
    appendBytes(filled * 0.6);
    await eventually(() => expect(fs.recordWrites).toBe(2));
    const releaseWrites = fs.holdRecordWrites();
    const last = appendBytes(filled * 0.5);
    await eventually(() => expect(fs.recordWrites).toBe(3));
    releaseSyncs();
    await eventually(() => expect(writer.durableIndex).toBeGreaterThan(1));
    releaseWrites();
    await writer.whenDurable(last);
    await writer.close();
    expect(fs.overlaps).toEqual([]);
    expect((await readAll(dir)).map((r) => r.index)).toEqual(Array.from({ length: last }, (_, k) => k + 1));
  });

  it('on a failed sync with the next batch already written: cuts both off, rejects both, reports once', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const failures: Error[] = [];
    const durable: number[] = [];
    const writer = await JournalWriter.open({ dir, nextIndex: 1, fs, onFailure: (e) => failures.push(e), onDurable: (i) => durable.push(i) });
    writer.append(envelope(1));
    await writer.whenDurable(1);
    const segment = join(dir, readdirSync(dir)[0]!);
    const goodSize = dataEnd(readFileSync(segment));
    await eventually(() => expect(fs.syncs).toBe(2));

    const release = fs.holdSyncs();
    writer.append(envelope(2));
    const first = writer.whenDurable(2);
    await eventually(() => expect(fs.recordWrites).toBe(2));
    writer.append(envelope(3));
    const second = writer.whenDurable(3);
    await eventually(() => expect(fs.recordWrites).toBe(3));
    fs.syncError = Object.assign(new Error('EIO: injected sync failure'), { code: 'EIO' });
    release();
    await expect(first).rejects.toThrow(/EIO/);
    await expect(second).rejects.toThrow(/EIO/);
    expect(failures).toHaveLength(1);
    expect(durable).toEqual([1]);
    expect(fs.truncatedTo).toEqual([goodSize]);
    expect(dataEnd(readFileSync(segment))).toBe(goodSize);
    expect(() => writer.append(envelope(4))).toThrow(JournalClosedError);
    await writer.close();
    expect((await readAll(dir)).map((r) => r.index)).toEqual([1]);
  });

  it('flushes queued records on close and refuses appends afterwards', async () => {
    const dir = newDir();
    const writer = await JournalWriter.open({ dir, nextIndex: 1 });
    writer.append(envelope(1));
    writer.append(envelope(2));
    await writer.close();
    expect(() => writer.append(envelope(3))).toThrow(JournalClosedError);
    expect((await readAll(dir)).length).toBe(2);
  });

  it('starts a new segment when one is full and after rotate(); retirement drops only segments wholly below the index', async () => {
    const dir = newDir();
    const writer = await JournalWriter.open({ dir, nextIndex: 1, maxSegmentBytes: 1000 });
    for (let i = 1; i <= 60; i++) {
      // Batches of 5 records (about 500 bytes): a segment fills after two or three of them.
      writer.append(envelope(i));
      if (i % 5 === 0) await writer.whenDurable(i);
    }
    writer.rotate();
    writer.append(envelope(61));
    await writer.whenDurable(61);
    await writer.close();
    const segments = (await scanJournal(dir)).segments;
    expect(segments.length).toBeGreaterThan(3);
    expect(segments[segments.length - 1]!.firstIndex).toBe(61);
    for (let i = 1; i < segments.length; i++) expect(segments[i]!.firstIndex).toBe(segments[i - 1]!.lastIndex + 1);

    const keepFrom = segments[2]!.firstIndex + 1;
    const removed = await retireSegments(dir, keepFrom);
    expect(removed).toEqual([segments[0]!.path, segments[1]!.path]);
    const after = await scanJournal(dir);
    expect(after.firstIndex).toBe(segments[2]!.firstIndex);
    expect(after.lastIndex).toBe(61);
    // The last segment is never retired, whatever the index.
    await retireSegments(dir, 1_000_000);
    expect(readdirSync(dir)).toEqual([segments[segments.length - 1]!.path.split('/').pop()]);
  });

  it('on a failed write: reports once, undoes the partial batch, rejects waiters and later appends', async () => {
    const dir = newDir();
    const fs = new FaultyFileSystem();
    const failures: Error[] = [];
    const writer = await JournalWriter.open({ dir, nextIndex: 1, fs, onFailure: (e) => failures.push(e) });
    writer.append(envelope(1));
    await writer.whenDurable(1);
    const segment = join(dir, readdirSync(dir)[0]!);
    const goodSize = dataEnd(readFileSync(segment));

    fs.failAfterWrites = fs.writes;
    fs.partialBytes = 30;
    writer.append(envelope(2));
    writer.append(envelope(3));
    await expect(writer.whenDurable(3)).rejects.toThrow(/ENOSPC/);
    expect(failures).toHaveLength(1);
    expect(fs.truncatedTo).toEqual([goodSize]);
    expect(statSync(segment).size).toBe(goodSize);
    expect(() => writer.append(envelope(4))).toThrow(JournalClosedError);
    expect(writer.durableIndex).toBe(1);
    await writer.close();
    expect((await readAll(dir)).map((r) => r.index)).toEqual([1]);
  });
});
