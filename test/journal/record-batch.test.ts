import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecord, MAX_PAYLOAD_BYTES, type JournalRecord } from '../../server/src/journal/format.js';
import { RecordBatch } from '../../server/src/journal/record-batch.js';

const record = (index: number, accountId: string): JournalRecord => ({
  index,
  envelope: { ts: 1_700_000_000_000 + index, command: { type: 'Deposit', accountId, asset: 'USD', amount: String(index) } },
});

describe('a batch of records encoded into one buffer', () => {
  it('holds the same bytes as the records encoded one by one, each sealed with the batch end', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 300 }), fc.nat({ max: 20_000 }), (accounts, expected) => {
      const records = accounts.map((accountId, i) => record(i + 1, accountId));
      const batch = new RecordBatch(expected);
      for (const r of records) batch.append(r);
      const bytes = batch.seal(records.length);
      expect(batch.count).toBe(records.length);
      expect(bytes.equals(Buffer.concat(records.map((r) => encodeRecord(r, records.length))))).toBe(true);
      expect(decodeRecords(bytes)).toEqual(records);
    }));
  });

  it('refuses an oversized command and stays as it was', () => {
    const batch = new RecordBatch();
    batch.append(record(1, 'a'));
    expect(() => batch.append(record(2, 'x'.repeat(MAX_PAYLOAD_BYTES)))).toThrow(RangeError);
    expect(() => batch.append(record(2, '€'.repeat(MAX_PAYLOAD_BYTES / 2)))).toThrow(RangeError);
    batch.append(record(2, 'b'));
    expect(decodeRecords(batch.seal(2))).toEqual([record(1, 'a'), record(2, 'b')]);
  });
});
