/**
 * Opens the journal for a restart: replays it from a given index, cuts off a torn tail (and
 * says so in the log), and returns a writer positioned right after the last durable record.
 */
import { mkdir, truncate, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { JournalCorruptError } from './errors.js';
import type { JournalRecord } from './format.js';
import { nodeFileSystem, type JournalFileSystem } from './file-system.js';
import { scanJournal, type JournalScan } from './reader.js';
import { JournalWriter, type JournalWriterOptions } from './writer.js';

export interface OpenJournalOptions extends Pick<JournalWriterOptions, 'maxSegmentBytes' | 'onDurable' | 'onFailure'> {
  dir: string;
  logger: Logger;
  /** First record the caller needs (the record after the snapshot it restored). */
  fromIndex: number;
  onRecord: (record: JournalRecord) => void;
  fs?: JournalFileSystem;
}

export interface OpenedJournal {
  writer: JournalWriter;
  scan: JournalScan;
}

export async function openJournal(options: OpenJournalOptions): Promise<OpenedJournal> {
  const fs = options.fs ?? nodeFileSystem;
  await mkdir(options.dir, { recursive: true });
  const scan = await scanJournal(options.dir, { fromIndex: options.fromIndex, onRecord: options.onRecord });
  const first = scan.segments[0];
  const torn = scan.tornTail;
  if (first && first.firstIndex > options.fromIndex) {
    throw new JournalCorruptError(`journal starts at record ${first.firstIndex} but records from ${options.fromIndex} are needed`, first.path, 0);
  }
  if (first && scan.lastIndex < options.fromIndex - 1) {
    const last = scan.segments[scan.segments.length - 1]!;
    throw new JournalCorruptError(`journal ends at record ${scan.lastIndex} but the snapshot covers up to ${options.fromIndex - 1}`, last.path, last.validBytes);
  }
  if (!first && options.fromIndex > 1 && !torn?.wholeSegment) {
    // Retirement never removes the last segment, so an empty journal next to a snapshot means files went missing.
    throw new JournalCorruptError(`journal is empty but the snapshot covers records up to ${options.fromIndex - 1}; the records after it are missing`, options.dir, 0);
  }
  if (torn) {
    if (torn.wholeSegment) await unlink(torn.path);
    else await truncate(torn.path, torn.offset);
    await fs.syncDirectory(options.dir);
    options.logger.warn({ file: torn.path, offset: torn.offset, droppedBytes: torn.droppedBytes, reason: torn.reason },
      'journal: cut off a torn tail, the final batch a crash interrupted (no acknowledged command is in it)');
  }

  const last = scan.segments[scan.segments.length - 1];
  const nextIndex = Math.max(scan.lastIndex, options.fromIndex - 1) + 1;
  const writer = await JournalWriter.open({
    dir: options.dir,
    nextIndex,
    fs,
    // A cut tail took the zero fill with it; otherwise the file's size is what is already allocated.
    ...(last ? { continueSegment: { path: last.path, size: last.validBytes, allocated: torn?.path === last.path ? last.validBytes : last.fileBytes } } : {}),
    ...(options.maxSegmentBytes !== undefined ? { maxSegmentBytes: options.maxSegmentBytes } : {}),
    ...(options.onDurable ? { onDurable: options.onDurable } : {}),
    ...(options.onFailure ? { onFailure: options.onFailure } : {}),
  });
  return { writer, scan };
}
