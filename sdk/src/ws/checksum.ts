/**
 * The book checksum the WebSocket contract defines: CRC-32 (IEEE 802.3, as zlib computes it) of
 * the UTF-8 string `bids + "|" + asks`, each side its levels best first as `price:quantity`
 * joined by `,`, with prices and quantities exactly as sent. Table-driven, so no zlib is needed.
 */
import { utf8 } from '../encoding.js';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export type Level = readonly [price: string, quantity: string];

export function bookChecksum(bids: readonly Level[], asks: readonly Level[]): number {
  const side = (levels: readonly Level[]) => levels.map(([price, quantity]) => `${price}:${quantity}`).join(',');
  return crc32(utf8(`${side(bids)}|${side(asks)}`));
}
