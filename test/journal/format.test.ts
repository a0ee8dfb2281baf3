import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRecordAt, decodeSegmentHeader, encodeRecord, encodeSegmentHeader, RECORD_HEADER_BYTES, skipRecordAt, type JournalRecord,
} from '../../server/src/journal/format.js';
import type { Command } from '../../server/src/core/api.js';

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    type: fc.constant('PlaceOrder' as const),
    accountId: fc.string({ minLength: 1, maxLength: 12 }),
    symbol: fc.constantFrom('BTC-USD', 'ETH-USD', 'Ünïcødé-€'),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    orderType: fc.constant('limit' as const),
    price: fc.nat().map(String),
    quantity: fc.nat().map((n) => `0.${n}`),
    timeInForce: fc.constant('GTC' as const),
  }),
  fc.record({ type: fc.constant('Deposit' as const), accountId: fc.string(), asset: fc.string(), amount: fc.nat().map(String) }),
  fc.constant({ type: 'ExpireOrders' as const }),
);
const record: fc.Arbitrary<JournalRecord> = fc.record({
  index: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  envelope: fc.record({ ts: fc.integer({ min: 0, max: 4_102_444_800_000 }), command }),
});

describe('journal record format', () => {
  it('decodes what it encodes', () => {
    fc.assert(fc.property(record, (r) => {
      const bytes = encodeRecord(r);
      const decoded = decodeRecordAt(bytes, 0);
      expect(decoded).toEqual({ ok: true, record: r, batchEnd: r.index, end: bytes.length });
    }));
  });

  it('carries the end of the batch a record was written in, and rejects one that ends before the record', () => {
    const r: JournalRecord = { index: 7, envelope: { ts: 1, command: { type: 'ExpireOrders' } } };
    expect(decodeRecordAt(encodeRecord(r, 9), 0)).toMatchObject({ ok: true, batchEnd: 9 });
    expect(decodeRecordAt(encodeRecord(r, 6), 0)).toEqual({ ok: false, reason: 'record 7 says its batch ended at 6' });
  });

  it('never returns a record from a cut-short one', () => {
    fc.assert(fc.property(record, fc.nat(), (r, cutSeed) => {
      const bytes = encodeRecord(r);
      const cut = cutSeed % bytes.length;
      expect(decodeRecordAt(bytes.subarray(0, cut), 0).ok).toBe(false);
    }));
  });

  it('detects any single flipped bit, in the length, the checksum or the payload', () => {
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 0, max: 7 }), (r, byteSeed, bit) => {
      const bytes = Buffer.from(encodeRecord(r));
      const at = byteSeed % bytes.length;
      bytes[at]! ^= 1 << bit;
      const decoded = decodeRecordAt(bytes, 0);
      expect(decoded.ok).toBe(false);
    }));
  });

  it('reads records back to back from one buffer', () => {
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
      const bytes = Buffer.concat(records.map((r) => encodeRecord(r)));
      let offset = 0;
      for (const r of records) {
        const decoded = decodeRecordAt(bytes, offset);
        if (!decoded.ok) throw new Error(decoded.reason);
        expect(decoded.record).toEqual(r);
        offset = decoded.end;
      }
      expect(offset).toBe(bytes.length);
    }));
  });

  it('skips a record (checked, its command not decoded) to the same index, batch end and next offset as decoding it', () => {
    fc.assert(fc.property(record, fc.integer({ min: 0, max: 5 }), (r, extra) => {
      const bytes = encodeRecord(r, r.index + extra);
      const decoded = decodeRecordAt(bytes, 0);
      expect(skipRecordAt(bytes, 0)).toEqual({ ok: true, index: r.index, batchEnd: r.index + extra, end: decoded.ok ? decoded.end : -1 });
    }));
  });

  it('refuses to skip a record with any single flipped bit or cut short', () => {
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 0, max: 7 }), (r, byteSeed, bit) => {
      const bytes = Buffer.from(encodeRecord(r));
      expect(skipRecordAt(bytes.subarray(0, byteSeed % bytes.length), 0).ok).toBe(false);
      bytes[byteSeed % bytes.length]! ^= 1 << bit;
      expect(skipRecordAt(bytes, 0).ok).toBe(false);
    }));
  });

  it('rejects a zero-filled region (what some file systems leave after a crash) as a record', () => {
    expect(decodeRecordAt(Buffer.alloc(RECORD_HEADER_BYTES + 64), 0)).toEqual({ ok: false, reason: 'implausible record length 0' });
  });
});

describe('segment header', () => {
  it('round-trips the first index and rejects damage', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.nat(), (first, flipSeed) => {
      const header = encodeSegmentHeader(first);
      expect(decodeSegmentHeader(header)).toEqual({ firstIndex: first });
      const damaged = Buffer.from(header);
      damaged[flipSeed % damaged.length]! ^= 0x10;
      expect('error' in decodeSegmentHeader(damaged)).toBe(true);
    }));
  });
});
