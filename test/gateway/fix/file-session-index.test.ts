/**
 * The session file's index after a write is taken from the batch, not read back from the
 * record: it must answer exactly what the index rebuilt from the file at the next open answers.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileFixSessionBackend } from '../../../server/src/gateway/fix/file-session-backend.js';
import type { FixStoreBatch } from '../../../server/src/gateway/fix/session-backend.js';
import { tempDirs } from '../../durability/support/temp-dir.js';

const newDir = tempDirs('fix-session-index');
const KEYS = ['FIX.4.4:EXCH->C1|acc-1', 'FIX.4.4:EXCH->C2|acc-é'];

const batchArb: fc.Arbitrary<FixStoreBatch> = fc.record({
  resets: fc.subarray(KEYS, { maxLength: 1 }),
  messages: fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 30 }), fc.string({ minLength: 1, maxLength: 40 }).map((s) => `35=8\x01${Buffer.from(s, 'utf8').toString('latin1')}\x01`)), { maxLength: 6 }),
  seqs: fc.subarray(KEYS).chain((keys) => fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), fc.record({ nextSender: fc.nat(1000), nextTarget: fc.nat(1000) }))))),
  owners: fc.array(fc.tuple(fc.constantFrom('o1', 'o2', 'o3'), fc.constantFrom(...KEYS)), { maxLength: 3 }),
}).filter((b) => b.resets.length + b.messages.length + b.seqs.length + b.owners.length > 0) as fc.Arbitrary<FixStoreBatch>;
// (The store never writes an empty batch.)

function state(backend: FileFixSessionBackend): unknown {
  return {
    seqs: KEYS.map((k) => backend.load(k)),
    messages: KEYS.map((k) => backend.messages(k, 1, 100)),
    owners: ['o1', 'o2', 'o3'].map((o) => backend.orderOwner(o)),
    deadBytes: backend.deadBytes,
  };
}

describe('FIX session file: the index after a write', () => {
  it('answers as the index rebuilt from the file does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 6 }), async (batches) => {
        const file = join(newDir(), 'fix-sessions.log');
        const live = new FileFixSessionBackend(file, { synchronous: 'NORMAL' });
        for (const b of batches) await live.write(b);
        const written = state(live);
        live.close();
        const reopened = new FileFixSessionBackend(file, { synchronous: 'NORMAL', compactAboveBytes: Number.MAX_SAFE_INTEGER });
        expect(state(reopened)).toEqual(written);
        reopened.close();
      }),
      { numRuns: 60 },
    );
  });
});
