/**
 * A snapshot file: "TSNP" | u32 version | u32 payload length | u32 CRC-32 of (length field + payload) | payload,
 * the payload being UTF-8 JSON {index, seq, takenAt, core}. `index` is the last journal record
 * the snapshot covers and `seq` the core's event sequence after applying it.
 */
import type { CoreSnapshot } from '../core/api.js';
import { crc32 } from '../checksum/crc32.js';

const MAGIC = 'TSNP';
const VERSION = 1;
const HEADER_BYTES = 16;

export interface SnapshotMeta {
  /** The last journal record applied to this state. */
  index: number;
  /** The core's sequence number after that record. */
  seq: number;
  /** Wall-clock time the snapshot was taken (informational). */
  takenAt: number;
}

export interface StoredSnapshot extends SnapshotMeta {
  core: CoreSnapshot;
}

/** Serialises at once, so the bytes describe the state at this instant even if the core moves on. */
export function encodeSnapshot(meta: SnapshotMeta, core: CoreSnapshot): Buffer {
  const json = JSON.stringify({ index: meta.index, seq: meta.seq, takenAt: meta.takenAt, core });
  const length = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(HEADER_BYTES + length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(length, 8);
  out.write(json, HEADER_BYTES, 'utf8');
  out.writeUInt32LE(checksum(out, length), 12);
  return out;
}

function checksum(bytes: Buffer, length: number): number {
  return crc32(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length), crc32(bytes.subarray(8, 12)));
}

/** Decodes a snapshot file, or says why it cannot be trusted. */
export function decodeSnapshot(bytes: Buffer): { ok: true; snapshot: StoredSnapshot } | { ok: false; reason: string } {
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: `file is ${bytes.length} bytes, shorter than the header` };
  if (bytes.toString('latin1', 0, 4) !== MAGIC) return { ok: false, reason: 'not a snapshot (bad magic)' };
  const version = bytes.readUInt32LE(4);
  if (version !== VERSION) return { ok: false, reason: `unsupported snapshot version ${version}` };
  const length = bytes.readUInt32LE(8);
  if (bytes.length !== HEADER_BYTES + length) return { ok: false, reason: `payload is ${bytes.length - HEADER_BYTES} bytes, header says ${length}` };
  if (bytes.readUInt32LE(12) !== checksum(bytes, length)) return { ok: false, reason: 'checksum mismatch' };
  let value: Partial<StoredSnapshot>;
  try {
    value = JSON.parse(bytes.toString('utf8', HEADER_BYTES)) as Partial<StoredSnapshot>;
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const { index, seq, takenAt, core } = value;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(seq) || typeof takenAt !== 'number' || typeof core !== 'object' || core === null) {
    return { ok: false, reason: 'payload is not a snapshot' };
  }
  return { ok: true, snapshot: { index: index!, seq: seq!, takenAt, core } };
}
