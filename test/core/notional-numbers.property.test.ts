/**
 * Notionals and buy holds worked out in numbers where every operand fits (units.ts, fees.ts)
 * against the same formulas in bigint, with operands on both sides of the edges where the
 * number path gives way: products around 2^53, notionals around 2^53 / 10,000, fee numerators
 * around ±2^53, base units of 1 to 10^18.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyHoldNeed } from '../../server/src/core/fees.js';
import { ceilDiv } from '../../server/src/core/fixed.js';
import { Instrument } from '../../server/src/core/model.js';
import { units } from '../../server/src/core/units.js';
import { MAX, near, TWO_53 } from './near-edges.js';

const sqrtMax = 94_906_266n; // ⌊√(2^53)⌋

const usd = { asset: 'USD', decimals: 6 };
const base = { asset: 'B', decimals: 8 };
const instrument = (baseUnit: bigint): Instrument => new Instrument('B-USD', base, usd, 1n, 1n, 1n, 10n, 0n, 0, 'open', baseUnit, 10, 1_440);

function holdModel(notional: bigint, numerator: bigint, bps: bigint): bigint {
  return notional + ceilDiv(numerator + notional * bps, 10_000n) - ceilDiv(numerator, 10_000n);
}

describe('notional and hold arithmetic in numbers', () => {
  it('notional = ⌊price × quantity / base unit⌋ exactly, whichever form the operands take', () => {
    const unit = fc.constantFrom(1n, 10n, 1_000n, 100_000_000n, 10n ** 15n, MAX, 10n ** 18n);
    fc.assert(fc.property(fc.oneof(near(sqrtMax), near(MAX), near(TWO_53 / 3n)), fc.oneof(near(sqrtMax), near(3n), fc.bigInt({ min: 0n, max: 10n })), unit, (price, quantity, baseUnit) => {
      const inst = instrument(baseUnit);
      const expected = (price * quantity) / baseUnit;
      expect(inst.notional(units(price), units(quantity))).toBe(expected);
      expect(inst.notionalUnits(units(price), units(quantity))).toBe(units(expected));
    }), { numRuns: 2_000 });
  });

  it('a buy hold is the notional plus the most fee it can add, exactly, on both sides of the number path', () => {
    const notional = near(TWO_53 / 10_000n);
    const numerator = fc.oneof(fc.bigInt({ min: -20_000n, max: 20_000n }), fc.bigInt({ min: MAX - 100_000n, max: MAX + 100_000n }), fc.bigInt({ min: -MAX - 100_000n, max: -MAX + 100_000n }), fc.bigInt({ min: -2n * MAX, max: 2n * MAX }));
    const bps = fc.oneof(fc.constantFrom(0n, 1n, 5n, 9_999n, 10_000n), fc.bigInt({ min: 0n, max: 10_000n }));
    fc.assert(fc.property(notional, numerator, bps, (n, num, b) => {
      expect(buyHoldNeed(units(n), num, b)).toBe(holdModel(n, num, b));
      expect(buyHoldNeed(n, num, b)).toBe(holdModel(n, num, b));
    }), { numRuns: 3_000 });
  });
});
