/**
 * The journal's on-disk format. A segment file is a 20-byte header followed by records, then
 * zeros (segments are zero-filled ahead of the writer, see writer.ts):
 *
 *   header:  "TJNL" | u32 version | u64 index of the segment's first record | u32 CRC-32 of the 16 bytes before
 *   record:  u32 payload length | u32 CRC-32 of (the other header fields + payload) | u64 batch end | payload
 *   payload: UTF-8 JSON {"n": record index, "ts": ..., "command": {...}}
 *
 * All integers are little-endian. The CRC covers the length field too, so a flipped bit in a
 * length is caught by the CRC rather than misread as a different record boundary. Record
 * indexes start at 1 and increase by exactly 1 across the whole journal. "Batch end" is the
 * index of the last record written (and synced) together with this one: it lets recovery tell
 * the torn final batch of a crash, which was never acknowledged, from damage to older records.
 */
import type { Command, CommandEnvelope } from '../core/api.js';
import { crc32, crc32Range } from '../checksum/crc32.js';

export const SEGMENT_MAGIC = 'TJNL';
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 20;
export const RECORD_HEADER_BYTES = 16;
/** No command comes near this; a larger length can only be damage. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

/** One journaled command: its position in the journal and the envelope the core applied. */
export interface JournalRecord {
  index: number;
  envelope: CommandEnvelope;
}

export function encodeSegmentHeader(firstIndex: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  header.write(SEGMENT_MAGIC, 0, 'latin1');
  header.writeUInt32LE(SEGMENT_VERSION, 4);
  header.writeBigUInt64LE(BigInt(firstIndex), 8);
  header.writeUInt32LE(crc32(header.subarray(0, 16)), 16);
  return header;
}

/** The first record index the header declares, or a reason the header is unusable. */
export function decodeSegmentHeader(bytes: Buffer): { firstIndex: number } | { error: string } {
  if (bytes.length < SEGMENT_HEADER_BYTES) return { error: `header is ${bytes.length} of ${SEGMENT_HEADER_BYTES} bytes` };
  if (bytes.toString('latin1', 0, 4) !== SEGMENT_MAGIC) return { error: 'not a journal segment (bad magic)' };
  if (bytes.readUInt32LE(16) !== crc32(bytes.subarray(0, 16))) return { error: 'header checksum mismatch' };
  const version = bytes.readUInt32LE(4);
  if (version !== SEGMENT_VERSION) return { error: `unsupported segment version ${version}` };
  const firstIndex = bytes.readBigUInt64LE(8);
  if (firstIndex < 1n || firstIndex > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `invalid first index ${firstIndex}` };
  return { firstIndex: Number(firstIndex) };
}

/** A record's payload text; its byte length is at most three times its length (UTF-16 units to UTF-8). */
export function recordPayload(record: JournalRecord): string {
  return JSON.stringify({ n: record.index, ts: record.envelope.ts, command: record.envelope.command });
}

/** Room a record needs at most, before its payload is encoded. */
export function maxRecordBytes(payload: string): number {
  return RECORD_HEADER_BYTES + payload.length * 3;
}

/**
 * Writes a record whose batch is not known yet at `offset` of `target` (which has
 * `maxRecordBytes(payload)` bytes of room there) and returns where it ends; `sealRecordAt` fills
 * in the batch end and the CRC when the batch is written. Throws RangeError for an oversized
 * command, having written nothing that counts.
 */
export function writeUnsealedRecord(target: Buffer, offset: number, payload: string): number {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`journal record of at least ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const payloadBytes = target.write(payload, offset + RECORD_HEADER_BYTES, 'utf8');
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`journal record of ${payloadBytes} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  target.writeUInt32LE(payloadBytes, offset);
  return offset + RECORD_HEADER_BYTES + payloadBytes;
}

/** Seals the unsealed record at `offset` as part of a batch ending at record `batchEnd`; returns where it ends. */
export function sealRecordAt(bytes: Buffer, offset: number, batchEnd: number): number {
  const payloadBytes = bytes.readUInt32LE(offset);
  bytes.writeUInt32LE(batchEnd % 2 ** 32, offset + 8);
  bytes.writeUInt32LE(Math.floor(batchEnd / 2 ** 32), offset + 12);
  bytes.writeUInt32LE(recordChecksum(bytes, offset, payloadBytes), offset + 4);
  return offset + RECORD_HEADER_BYTES + payloadBytes;
}

/** A whole record (a batch of its own unless `batchEnd` says otherwise). */
export function encodeRecord(record: JournalRecord, batchEnd = record.index): Buffer {
  const payload = recordPayload(record);
  const bytes = Buffer.allocUnsafe(maxRecordBytes(payload));
  const end = writeUnsealedRecord(bytes, 0, payload);
  sealRecordAt(bytes, 0, batchEnd);
  return bytes.subarray(0, end);
}

function recordChecksum(bytes: Buffer, offset: number, payloadBytes: number): number {
  // The 12 header bytes around the CRC field by table, the payload natively: one view per record.
  const lengthCrc = crc32Range(bytes, offset, offset + 4);
  const headerCrc = crc32Range(bytes, offset + 8, offset + RECORD_HEADER_BYTES, lengthCrc);
  return crc32(bytes.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + payloadBytes), headerCrc);
}

/** The u64 batch end field, read without a bigint (indexes are safe integers; anything larger reads as unsafe). */
function batchEndAt(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset + 8) + bytes.readUInt32LE(offset + 12) * 2 ** 32;
}

export type DecodedRecord =
  | { ok: true; record: JournalRecord; batchEnd: number; end: number }
  | { ok: false; reason: string };

/**
 * Decodes the record starting at `offset`. Anything short of a complete record with a matching
 * checksum and a well-formed payload is reported as a reason, never returned as a record.
 */
export function decodeRecordAt(bytes: Buffer, offset: number): DecodedRecord {
  const available = bytes.length - offset;
  if (available < RECORD_HEADER_BYTES) return { ok: false, reason: `incomplete record header (${available} bytes)` };
  const payloadBytes = bytes.readUInt32LE(offset);
  if (payloadBytes === 0 || payloadBytes > MAX_PAYLOAD_BYTES) return { ok: false, reason: `implausible record length ${payloadBytes}` };
  if (available < RECORD_HEADER_BYTES + payloadBytes) {
    return { ok: false, reason: `incomplete record (${available - RECORD_HEADER_BYTES} of ${payloadBytes} payload bytes)` };
  }
  if (bytes.readUInt32LE(offset + 4) !== recordChecksum(bytes, offset, payloadBytes)) return { ok: false, reason: 'record checksum mismatch' };
  const start = offset + RECORD_HEADER_BYTES;
  const record = parsePayload(bytes.toString('utf8', start, start + payloadBytes));
  if (!record) return { ok: false, reason: 'record payload is not a journal envelope' };
  const batchEnd = batchEndAt(bytes, offset);
  if (batchEnd < record.index) return { ok: false, reason: `record ${record.index} says its batch ended at ${batchEnd}` };
  return { ok: true, record, batchEnd, end: start + payloadBytes };
}

/**
 * Checks the record at `offset` (length, checksum, batch end) and reads its index without
 * decoding the command: recovery passes over every record a snapshot already covers this way.
 * The index is read from the payload's leading `{"n":` field, where the encoder puts it; a
 * payload of any other shape is decoded in full instead.
 */
export function skipRecordAt(bytes: Buffer, offset: number): { ok: true; index: number; batchEnd: number; end: number } | { ok: false; reason: string } {
  const available = bytes.length - offset;
  if (available < RECORD_HEADER_BYTES) return { ok: false, reason: `incomplete record header (${available} bytes)` };
  const payloadBytes = bytes.readUInt32LE(offset);
  if (payloadBytes === 0 || payloadBytes > MAX_PAYLOAD_BYTES || available < RECORD_HEADER_BYTES + payloadBytes) {
    const full = decodeRecordAt(bytes, offset);
    return full.ok ? { ok: true, index: full.record.index, batchEnd: full.batchEnd, end: full.end } : full;
  }
  if (bytes.readUInt32LE(offset + 4) !== recordChecksum(bytes, offset, payloadBytes)) return { ok: false, reason: 'record checksum mismatch' };
  const start = offset + RECORD_HEADER_BYTES;
  const end = start + payloadBytes;
  const index = leadingIndex(bytes, start, end);
  if (index === undefined) {
    const full = decodeRecordAt(bytes, offset);
    return full.ok ? { ok: true, index: full.record.index, batchEnd: full.batchEnd, end: full.end } : full;
  }
  const batchEnd = batchEndAt(bytes, offset);
  if (batchEnd < index) return { ok: false, reason: `record ${index} says its batch ended at ${batchEnd}` };
  return { ok: true, index, batchEnd, end };
}

const INDEX_PREFIX = Buffer.from('{"n":');
const COMMA = 0x2c;

/** The digits after `{"n":` up to the comma, or undefined if the payload does not start that way. */
function leadingIndex(bytes: Buffer, start: number, end: number): number | undefined {
  if (end - start < INDEX_PREFIX.length + 2) return undefined;
  for (let i = 0; i < INDEX_PREFIX.length; i++) if (bytes[start + i] !== INDEX_PREFIX[i]) return undefined;
  let value = 0;
  let at = start + INDEX_PREFIX.length;
  const first = at;
  for (; at < end && at - first <= 16; at++) {
    const c = bytes[at]!;
    if (c === COMMA) break;
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  if (at === first || bytes[at] !== COMMA || !Number.isSafeInteger(value) || value < 1) return undefined;
  return value;
}

function parsePayload(text: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { n, ts, command } = value as { n?: unknown; ts?: unknown; command?: unknown };
  if (!Number.isSafeInteger(n) || (n as number) < 1 || !Number.isFinite(ts)) return undefined;
  if (typeof command !== 'object' || command === null || typeof (command as { type?: unknown }).type !== 'string') return undefined;
  return { index: n as number, envelope: { ts: ts as number, command: command as Command } };
}

/** Decodes a run of whole records (a durable batch held in memory); any damage is a bug, so it throws. */
export function decodeRecords(bytes: Buffer): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const decoded = decodeRecordAt(bytes, offset);
    if (!decoded.ok) throw new Error(`journal batch damaged at byte ${offset}: ${decoded.reason}`);
    records.push(decoded.record);
    offset = decoded.end;
  }
  return records;
}
