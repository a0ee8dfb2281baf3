import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../server/src/checksum/crc32.js';

describe('CRC-32', () => {
  it('matches the published check value for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('table-driven and runtime implementations agree, also when continued', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
      expect(crc32Table(a)).toBe(crc32(a));
      expect(crc32Table(b, crc32Table(a))).toBe(crc32(Buffer.concat([a, b])));
    }));
  });
});
