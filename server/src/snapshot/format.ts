/**
 * A snapshot file: "TSNP" | u32 version | u32 payload length | u32 CRC-32 of (length field + payload) | payload.
 *
 * - Version 2 (written now, for a core that has a binary form): payload = u32 length | UTF-8 JSON
 *   {index, seq, takenAt} | the core's binary snapshot (`TradingCore.snapshotBinary`), which
 *   loads without building and collecting a JSON object graph.
 * - Version 1 (written by earlier releases, and still for a core with only a JSON form):
 *   payload = UTF-8 JSON {index, seq, takenAt, core}. Both versions are read.
 *
 * `index` is the last journal record the snapshot covers and `seq` the core's event sequence
 * after applying it.
 */
import type { BinaryCoreSnapshot, CoreSnapshot } from '../core/api.js';
import { crc32 } from '../checksum/crc32.js';

const MAGIC = 'TSNP';
const JSON_VERSION = 1;
const BINARY_VERSION = 2;
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
  core: CoreSnapshot | BinaryCoreSnapshot;
}

/** Serialises at once, so the bytes describe the state at this instant even if the core moves on. */
export function encodeSnapshot(meta: SnapshotMeta, core: CoreSnapshot | BinaryCoreSnapshot): Buffer {
  const fields = { index: meta.index, seq: meta.seq, takenAt: meta.takenAt };
  if (core.version === 2) {
    const metaJson = Buffer.from(JSON.stringify(fields));
    const length = 4 + metaJson.length + core.bytes.byteLength;
    const out = Buffer.allocUnsafe(HEADER_BYTES + length);
    out.writeUInt32LE(metaJson.length, HEADER_BYTES);
    metaJson.copy(out, HEADER_BYTES + 4);
    out.set(core.bytes, HEADER_BYTES + 4 + metaJson.length);
    return seal(out, BINARY_VERSION, length);
  }
  const json = JSON.stringify({ ...fields, core });
  const length = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(HEADER_BYTES + length);
  out.write(json, HEADER_BYTES, 'utf8');
  return seal(out, JSON_VERSION, length);
}

function seal(out: Buffer, version: number, length: number): Buffer {
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(version, 4);
  out.writeUInt32LE(length, 8);
  out.writeUInt32LE(checksum(out, length), 12);
  return out;
}

function checksum(bytes: Buffer, length: number): number {
  return crc32(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length), crc32(bytes.subarray(8, 12)));
}

type Decoded = { ok: true; snapshot: StoredSnapshot } | { ok: false; reason: string };

/** Decodes a snapshot file of either version, or says why it cannot be trusted. */
export function decodeSnapshot(bytes: Buffer): Decoded {
  if (bytes.length < HEADER_BYTES) return { ok: false, reason: `file is ${bytes.length} bytes, shorter than the header` };
  if (bytes.toString('latin1', 0, 4) !== MAGIC) return { ok: false, reason: 'not a snapshot (bad magic)' };
  const version = bytes.readUInt32LE(4);
  if (version !== JSON_VERSION && version !== BINARY_VERSION) return { ok: false, reason: `unsupported snapshot version ${version}` };
  const length = bytes.readUInt32LE(8);
  if (bytes.length !== HEADER_BYTES + length) return { ok: false, reason: `payload is ${bytes.length - HEADER_BYTES} bytes, header says ${length}` };
  if (bytes.readUInt32LE(12) !== checksum(bytes, length)) return { ok: false, reason: 'checksum mismatch' };
  return version === BINARY_VERSION ? decodeBinary(bytes) : decodeJson(bytes);
}

function decodeJson(bytes: Buffer): Decoded {
  let value: Partial<StoredSnapshot>;
  try {
    value = JSON.parse(bytes.toString('utf8', HEADER_BYTES)) as Partial<StoredSnapshot>;
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const { core } = value;
  if (!validMeta(value) || typeof core !== 'object' || core === null) return { ok: false, reason: 'payload is not a snapshot' };
  return { ok: true, snapshot: { index: value.index, seq: value.seq, takenAt: value.takenAt, core } };
}

function decodeBinary(bytes: Buffer): Decoded {
  const metaLength = bytes.length >= HEADER_BYTES + 4 ? bytes.readUInt32LE(HEADER_BYTES) : Number.POSITIVE_INFINITY;
  const coreStart = HEADER_BYTES + 4 + metaLength;
  if (coreStart > bytes.length) return { ok: false, reason: 'payload is not a snapshot' };
  let meta: Partial<SnapshotMeta>;
  try {
    meta = JSON.parse(bytes.toString('utf8', HEADER_BYTES + 4, coreStart)) as Partial<SnapshotMeta>;
  } catch {
    return { ok: false, reason: 'snapshot metadata is not JSON' };
  }
  if (!validMeta(meta)) return { ok: false, reason: 'payload is not a snapshot' };
  // A view, not a copy: the core decodes from the file's bytes directly.
  const core: BinaryCoreSnapshot = { version: 2, seq: meta.seq, bytes: bytes.subarray(coreStart) };
  return { ok: true, snapshot: { index: meta.index, seq: meta.seq, takenAt: meta.takenAt, core } };
}

function validMeta(value: Partial<SnapshotMeta>): value is SnapshotMeta {
  return Number.isSafeInteger(value.index) && Number.isSafeInteger(value.seq) && typeof value.takenAt === 'number';
}
