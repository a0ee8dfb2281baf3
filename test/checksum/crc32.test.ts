import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Range, crc32Table } from '../../server/src/checksum/crc32.js';

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

  it('over a range of a buffer, agrees with the CRC of that slice, also when continued', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat(), fc.nat(), (bytes, x, y, initial) => {
      const [start, end] = [x % (bytes.length + 1), y % (bytes.length + 1)].sort((p, q) => p - q) as [number, number];
      // The table version is the reference (the native one, for an empty view, ignores `initial`).
      expect(crc32Range(bytes, start, end)).toBe(crc32Table(bytes.subarray(start, end)));
      expect(crc32Range(bytes, start, end, initial >>> 0)).toBe(crc32Table(bytes.subarray(start, end), initial >>> 0));
    }));
  });
});
