/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over bytes. Node ≥ 20.15 ships it natively as
 * `zlib.crc32`; older Node 20 releases fall back to a table-driven version that gives the same
 * values, so a journal or snapshot written by one runtime reads back on the other. Used by the
 * journal and snapshot formats and by the WebSocket book checksum.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, initial?: number) => number;

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The portable implementation; exported so a test can check it agrees with the native one. */
export function crc32Table(data: Uint8Array, initial = 0): number {
  let crc = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 of `data[start..end)`, continuing from `initial`, with no view allocated: for a few
 * bytes at a time (record headers), where creating a subarray for the native call costs more
 * than the table lookups.
 */
export function crc32Range(data: Uint8Array, start: number, end: number, initial = 0): number {
  let crc = (initial ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data`, continuing from `initial` (the CRC of the bytes before it). */
export const crc32: Crc32 = native ?? crc32Table;
