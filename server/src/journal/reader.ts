/**
 * Reads the journal back: checks every segment header and record, hands each record from a
 * given index on to the caller in order, and tells a torn tail (the final batch a crash
 * interrupted, never acknowledged, safe to drop) from damage anywhere else (fatal: dropping it
 * would lose acknowledged commands).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { JournalCorruptError } from './errors.js';
import { decodeRecordAt, decodeSegmentHeader, SEGMENT_HEADER_BYTES, skipRecordAt, type JournalRecord } from './format.js';
import { listSegments, type SegmentFile } from './segments.js';
import { MAX_BATCHES_IN_FLIGHT } from './writer.js';

export interface SegmentSummary extends SegmentFile {
  /** Index of the segment's last valid record, `firstIndex - 1` when it holds none. */
  lastIndex: number;
  /** Bytes up to the end of the last complete batch; zero fill may follow. (The file size, for a segment skipped unread.) */
  validBytes: number;
  /** The file's size, zero fill included. */
  fileBytes: number;
}

/** The unreadable end of the last segment: the final batch a crash interrupted (never acknowledged). */
export interface TornTail {
  path: string;
  /** Where the last complete batch ends; everything from here on is dropped. */
  offset: number;
  /** Bytes of data dropped (the zero fill after them is not counted). */
  droppedBytes: number;
  reason: string;
  /** The segment is only a torn header (the crash came while creating it); it is removed, not cut. */
  wholeSegment: boolean;
}

export interface JournalScan {
  segments: SegmentSummary[];
  /** Index of the first record the journal still holds (1 unless old segments were retired). */
  firstIndex: number;
  /** Index of the last valid record, or `firstIndex - 1` if there are none. */
  lastIndex: number;
  tornTail?: TornTail;
}

export interface ScanOptions {
  /** Records below this index are skipped (segments wholly below it are not even read). */
  fromIndex?: number;
  onRecord?: (record: JournalRecord) => void;
}

/** Scans the journal in `dir`. Throws `JournalCorruptError` on damage that is not a torn tail. */
export async function scanJournal(dir: string, options: ScanOptions = {}): Promise<JournalScan> {
  const fromIndex = options.fromIndex ?? 1;
  const files = await listSegments(dir);
  const segments: SegmentSummary[] = [];
  let tornTail: TornTail | undefined;
  let expected: number | undefined;

  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const isLast = i === files.length - 1;
    const next = files[i + 1];
    if (expected !== undefined && file.firstIndex !== expected) {
      throw new JournalCorruptError(`segment starts at record ${file.firstIndex}, expected ${expected}`, file.path, 0);
    }
    // A segment whose successor starts at or below fromIndex holds nothing the caller wants;
    // its header is still checked so a damaged old segment is noticed.
    const wanted = !next || next.firstIndex > fromIndex;
    const bytes = wanted ? await readFile(file.path) : await readHeader(file.path);
    const header = decodeSegmentHeader(bytes);
    if ('error' in header) {
      if (isLast && bytes.length <= SEGMENT_HEADER_BYTES) {
        // Created but the crash came before its header was durable: it holds no record.
        tornTail = { path: file.path, offset: 0, droppedBytes: bytes.length, reason: header.error, wholeSegment: true };
        break;
      }
      throw new JournalCorruptError(header.error, file.path, 0);
    }
    if (header.firstIndex !== file.firstIndex) {
      throw new JournalCorruptError(`header says first record ${header.firstIndex}, name says ${file.firstIndex}`, file.path, 0);
    }
    if (!wanted) {
      // Its end is known from its successor's first index; the records themselves are not read.
      const fileBytes = (await stat(file.path)).size;
      segments.push({ ...file, lastIndex: next!.firstIndex - 1, validBytes: fileBytes, fileBytes });
      expected = next!.firstIndex;
      continue;
    }
    const read = readSegmentRecords(bytes, file, fromIndex, options.onRecord);
    segments.push({ ...file, lastIndex: read.lastIndex, validBytes: read.validBytes, fileBytes: bytes.length });
    if (read.damage) {
      if (read.damage.fatal) throw new JournalCorruptError(`${read.damage.reason}, and later batches follow it`, file.path, read.damage.offset);
      if (!isLast) throw new JournalCorruptError(`${read.damage.reason}, in a segment that is not the last`, file.path, read.damage.offset);
      tornTail = { path: file.path, offset: read.validBytes, droppedBytes: read.dataEnd - read.validBytes, reason: read.damage.reason, wholeSegment: false };
    }
    expected = read.lastIndex + 1;
  }

  const firstIndex = segments[0]?.firstIndex ?? files[0]?.firstIndex ?? 1;
  const lastIndex = segments.length > 0 ? segments[segments.length - 1]!.lastIndex : firstIndex - 1;
  return { segments, firstIndex, lastIndex, ...(tornTail ? { tornTail } : {}) };
}

async function readHeader(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const { bytesRead } = await file.read(header, 0, SEGMENT_HEADER_BYTES, 0);
    return header.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

interface SegmentRead {
  lastIndex: number;
  /** End of the last complete batch. */
  validBytes: number;
  /** Where the zero fill starts. */
  dataEnd: number;
  damage?: { offset: number; reason: string; fatal: boolean };
}

/**
 * Reads a segment's records, delivering them one whole batch at a time: a batch is delivered
 * only once its last record (the one whose index is its batch end) has been read intact. The
 * zero fill after the last record is the end of the data, not damage.
 */
function readSegmentRecords(bytes: Buffer, file: SegmentFile, fromIndex: number, onRecord?: (record: JournalRecord) => void): SegmentRead {
  const dataEnd = endOfData(bytes);
  let offset = SEGMENT_HEADER_BYTES;
  let lastIndex = file.firstIndex - 1;
  /** Records of the batch being read; only those at or after fromIndex are kept for delivery. */
  let batchLength = 0;
  let batch: JournalRecord[] = [];
  let batchEnd = lastIndex;
  let batchStart = offset;
  let reason: string | undefined;
  while (offset < dataEnd) {
    const expected = lastIndex + batchLength + 1;
    // Records the caller does not want are checked but their commands are not decoded.
    const decoded = expected < fromIndex ? skipRecordAt(bytes, offset) : decodeRecordAt(bytes, offset);
    if (!decoded.ok) {
      reason = decoded.reason;
      break;
    }
    const index = 'record' in decoded ? decoded.record.index : decoded.index;
    if (index !== expected) {
      reason = `record ${index} where ${expected} was expected`;
      break;
    }
    if (batchLength === 0) batchEnd = decoded.batchEnd;
    else if (decoded.batchEnd !== batchEnd) {
      reason = `record ${index} says its batch ends at ${decoded.batchEnd}, its batch says ${batchEnd}`;
      break;
    }
    batchLength++;
    if ('record' in decoded && index >= fromIndex) batch.push(decoded.record);
    offset = decoded.end;
    if (index === batchEnd) {
      for (const complete of batch) onRecord?.(complete);
      lastIndex = batchEnd;
      batch = [];
      batchLength = 0;
      batchStart = offset;
    }
  }
  if (reason === undefined && batchLength === 0) return { lastIndex, validBytes: offset, dataEnd };
  reason ??= `batch ending at ${batchEnd} stops after record ${lastIndex + batchLength}`;
  return { lastIndex, validBytes: batchStart, dataEnd, damage: { offset: batchStart, reason, fatal: laterBatchExists(bytes, offset + 1, dataEnd, lastIndex, batchLength > 0 ? batchEnd : undefined) } };
}

/** Offset just past the last non-zero byte: where the records end and the zero fill begins. */
function endOfData(bytes: Buffer): number {
  let end = bytes.length;
  while (end > SEGMENT_HEADER_BYTES && bytes[end - 1] === 0) end--;
  return end;
}

/**
 * Whether the damage can be the torn end of a crash. The writer keeps at most
 * MAX_BATCHES_IN_FLIGHT batches written but not yet durable (writer.ts), and a batch is only
 * written once every batch before the last one in flight is durable. So after a crash the
 * batch with damage (`tornBatchEnd`, or unknown when the damage starts a batch) and the one
 * after it may both be incomplete, and their intact records may show; an intact record of any
 * batch beyond those means the damaged batch was synced (and acknowledged) before it, so the
 * damage is real and cutting it off would lose acknowledged commands.
 *
 * What this cannot tell apart, as with any journal that cuts a torn tail: a bit flipped in the
 * last acknowledged batch itself, with the next batch in flight at the crash, reads as a torn
 * tail. Checksums catch the flip; that it was acknowledged is not written anywhere.
 */
function laterBatchExists(bytes: Buffer, from: number, dataEnd: number, lastIndex: number, tornBatchEnd: number | undefined): boolean {
  const batches = new Set<number>();
  if (tornBatchEnd !== undefined) batches.add(tornBatchEnd);
  for (let offset = from; offset < dataEnd;) {
    const decoded = decodeRecordAt(bytes, offset);
    if (!decoded.ok || decoded.record.index <= lastIndex) {
      offset++;
      continue;
    }
    batches.add(decoded.batchEnd);
    if (batches.size > MAX_BATCHES_IN_FLIGHT) return true;
    offset = decoded.end;
  }
  return false;
}
