import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoreSnapshot } from '../../server/src/core/api.js';
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

describe('snapshot file format', () => {
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
