/**
 * Reads the journal back: checks every segment header and record, hands each record from a
 * given index on to the caller in order, and tells a torn tail (a final write the crash cut
 * short, safe to drop) from damage in the middle of the journal (fatal: dropping it would lose
 * acknowledged commands).
 */
import { readFile } from 'node:fs/promises';
import { JournalCorruptError } from './errors.js';
import { decodeRecordAt, decodeSegmentHeader, SEGMENT_HEADER_BYTES, type JournalRecord } from './format.js';
import { listSegments, type SegmentFile } from './segments.js';

export interface SegmentSummary extends SegmentFile {
  /** Index of the segment's last valid record, `firstIndex - 1` when it holds none. */
  lastIndex: number;
  /** Bytes up to the end of the last valid record (0 when the header itself is torn). */
  validBytes: number;
  fileBytes: number;
}

/** The unreadable end of the last segment: what a crash during a write leaves behind. */
export interface TornTail {
  path: string;
  /** Where the valid data ends; everything from here on is dropped. */
  offset: number;
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
    const bytes = await readFile(file.path);
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
      const lastIndex = next!.firstIndex - 1;
      segments.push({ ...file, lastIndex, validBytes: bytes.length, fileBytes: bytes.length });
      expected = next!.firstIndex;
      continue;
    }
    const read = readSegmentRecords(bytes, file, fromIndex, options.onRecord);
    segments.push({ ...file, lastIndex: read.lastIndex, validBytes: read.validBytes, fileBytes: bytes.length });
    if (read.damage) {
      if (!isLast || read.damage.laterRecord) {
        throw new JournalCorruptError(`${read.damage.reason}, and valid records follow it`, file.path, read.damage.offset);
      }
      tornTail = { path: file.path, offset: read.validBytes, droppedBytes: bytes.length - read.validBytes, reason: read.damage.reason, wholeSegment: false };
    }
    expected = read.lastIndex + 1;
  }

  const firstIndex = segments[0]?.firstIndex ?? files[0]?.firstIndex ?? 1;
  const lastIndex = segments.length > 0 ? segments[segments.length - 1]!.lastIndex : firstIndex - 1;
  return { segments, firstIndex, lastIndex, ...(tornTail ? { tornTail } : {}) };
}

interface SegmentRead {
  lastIndex: number;
  validBytes: number;
  damage?: { offset: number; reason: string; laterRecord: boolean };
}

function readSegmentRecords(bytes: Buffer, file: SegmentFile, fromIndex: number, onRecord?: (record: JournalRecord) => void): SegmentRead {
  let offset = SEGMENT_HEADER_BYTES;
  let lastIndex = file.firstIndex - 1;
  while (offset < bytes.length) {
    const decoded = decodeRecordAt(bytes, offset);
    let reason: string | undefined;
    if (!decoded.ok) reason = decoded.reason;
    else if (decoded.record.index !== lastIndex + 1) reason = `record ${decoded.record.index} where ${lastIndex + 1} was expected`;
    if (reason !== undefined || !decoded.ok) {
      return { lastIndex, validBytes: offset, damage: { offset, reason: reason!, laterRecord: hasValidRecordAfter(bytes, offset + 1, lastIndex) } };
    }
    if (decoded.record.index >= fromIndex) onRecord?.(decoded.record);
    lastIndex = decoded.record.index;
    offset = decoded.end;
  }
  return { lastIndex, validBytes: offset };
}

/**
 * Whether an intact record with a later index starts anywhere from `from` on. A torn write
 * leaves only garbage (or zeros) after the last good record; an intact later record means the
 * damage is in the middle. Lengths read from text are almost never plausible, so this is fast.
 */
function hasValidRecordAfter(bytes: Buffer, from: number, lastIndex: number): boolean {
  for (let offset = from; offset < bytes.length; offset++) {
    const decoded = decodeRecordAt(bytes, offset);
    if (decoded.ok && decoded.record.index > lastIndex) return true;
  }
  return false;
}
