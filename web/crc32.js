// @ts-check
/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial), the book checksum of the WebSocket guide.
 * Browsers have no built-in CRC, so the table-driven form is written out here.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const encoder = new TextEncoder();

/** The unsigned CRC-32 of a string's UTF-8 bytes. @param {string} text */
export function crc32(text) {
  let crc = 0xffffffff;
  for (const byte of encoder.encode(text)) crc = /** @type {number} */ (TABLE[(crc ^ byte) & 0xff]) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
