import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryCoreSnapshot, CoreSnapshot } from '../../server/src/core/api.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotMeta } from '../../server/src/snapshot/format.js';

const meta: fc.Arbitrary<SnapshotMeta> = fc.record({
  index: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  takenAt: fc.nat(),
});
const core: fc.Arbitrary<CoreSnapshot> = fc.record({
  version: fc.constant(1 as const),
  seq: fc.nat(),
  state: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
});

const binaryCore: fc.Arbitrary<BinaryCoreSnapshot> = fc.record({
  version: fc.constant(2 as const),
  seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  bytes: fc.uint8Array({ maxLength: 200 }),
});

describe('snapshot file format', () => {
  it('writes a binary core as version 2 and a JSON core as version 1, and reads both back', () => {
    fc.assert(fc.property(meta, binaryCore, (m, c) => {
      const bytes = encodeSnapshot(m, { ...c, seq: m.seq });
      expect(bytes.readUInt32LE(4)).toBe(2);
      const decoded = decodeSnapshot(bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(decoded.snapshot).toMatchObject({ index: m.index, seq: m.seq, takenAt: m.takenAt, core: { version: 2, seq: m.seq } });
      expect(Buffer.from((decoded.snapshot.core as BinaryCoreSnapshot).bytes).equals(Buffer.from(c.bytes))).toBe(true);
    }));
    expect(encodeSnapshot({ index: 1, seq: 1, takenAt: 0 }, { version: 1, seq: 1, state: {} }).readUInt32LE(4)).toBe(1);
  });

  it('refuses a binary snapshot file with any one byte changed', () => {
    fc.assert(fc.property(meta, binaryCore, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, c, at, flip) => {
      const damaged = Buffer.from(encodeSnapshot(m, c));
      damaged[at % damaged.length]! ^= flip;
      expect(decodeSnapshot(damaged).ok).toBe(false);
    }));
  });


  it('decodes what it encodes', () => {
    fc.assert(fc.property(meta, core, (m, c) => {
      expect(decodeSnapshot(encodeSnapshot(m, c))).toEqual({ ok: true, snapshot: { ...m, core: c } });
    }));
  });

  it('refuses a file with any one byte changed, and says why', () => {
    fc.assert(fc.property(meta, core, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, c, at, flip) => {
      const bytes = encodeSnapshot(m, c);
      const damaged = Buffer.from(bytes);
      const i = at % damaged.length;
      damaged[i] = damaged[i]! ^ flip;
      const decoded = decodeSnapshot(damaged);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.reason).not.toBe('');
    }));
  });

  it('refuses a truncated file and a file of another kind', () => {
    const bytes = encodeSnapshot({ index: 5, seq: 9, takenAt: 1 }, { version: 1, seq: 9, state: {} });
    expect(decodeSnapshot(bytes.subarray(0, 10))).toMatchObject({ ok: false, reason: expect.stringContaining('shorter than the header') });
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1))).toMatchObject({ ok: false, reason: expect.stringContaining('header says') });
    expect(decodeSnapshot(Buffer.from('JRNL' + 'x'.repeat(40)))).toMatchObject({ ok: false, reason: 'not a snapshot (bad magic)' });
  });
});
