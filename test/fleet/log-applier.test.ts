import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../server/src/core/index.js';
import type { Command } from '../../server/src/core/api.js';
import { LogApplier } from '../../server/src/fleet/log-applier.js';
import type { SequencedEnvelope } from '../../server/src/fleet/envelope.js';

const setUp: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'a' },
];

/** The account's USD total in cents, exactly (no balance row: none). */
function usdCents(core: ReturnType<typeof createCore>): bigint {
  const total = core.balances('a')?.find((b) => b.asset === 'USD')?.total ?? '0';
  const [whole, fraction = ''] = total.split('.');
  return BigInt(whole!) * 100n + BigInt((fraction + '00').slice(0, 2));
}

describe('log applier', () => {
  it('applies each envelope at its time, and voids one whose term is below an earlier one, so every reader ends in the same state', () => {
    // Each step: a deposit in whole cents and the term of the leader that appended it.
    const steps = fc.array(fc.record({ cents: fc.integer({ min: 1, max: 1_000_000 }), term: fc.integer({ min: 1, max: 6 }) }), { maxLength: 40 });
    fc.assert(fc.property(steps, (deposits) => {
      const core = createCore();
      const applier = new LogApplier(core);
      const log: SequencedEnvelope[] = [...setUp, ...deposits.map((d): Command => ({ type: 'Deposit', accountId: 'a', asset: 'USD', amount: (d.cents / 100).toFixed(2) }))]
        .map((command, i) => ({ seq: i + 1, time: 1_000 + i, term: i < setUp.length ? 1 : deposits[i - setUp.length]!.term, command }));
      let highest = 0;
      let expectedCents = 0;
      for (const envelope of log) {
        const outcome = applier.apply(envelope);
        const voided = envelope.term < highest;
        highest = Math.max(highest, envelope.term);
        expect(outcome.void).toBe(voided);
        if (!outcome.void) expect(outcome.result?.ok).toBe(true);
        if (!voided && envelope.command.type === 'Deposit') expectedCents += Math.round(Number(envelope.command.amount) * 100);
      }
      expect(applier.seq).toBe(log.length);
      expect(applier.term).toBe(highest);
      expect(usdCents(core)).toBe(BigInt(expectedCents));
    }));
  });

  it('refuses an envelope out of sequence', () => {
    const applier = new LogApplier(createCore());
    expect(() => applier.apply({ seq: 2, time: 1, term: 1, command: setUp[0]! })).toThrow(RangeError);
    applier.apply({ seq: 1, time: 1, term: 1, command: setUp[0]! });
    expect(() => applier.apply({ seq: 1, time: 1, term: 1, command: setUp[0]! })).toThrow(RangeError);
    expect(applier.seq).toBe(1);
  });
});
