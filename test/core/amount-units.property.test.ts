/**
 * The amounts kept as `Units` (balances, holds, fees and fee numerators, positions, candles):
 * each operation's number path against the same formula in bigint, with operands on both sides
 * of the edges where the number path gives way (sums and products around 2^53, notionals around
 * 2^53 / 10,000, numerators around ±2^53), and every result in canonical form (a number exactly
 * when it is a safe integer), since `===` compares these values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyHoldNeedUnits, chargedNumeratorAfter, feeForFill } from '../../server/src/core/fees.js';
import { ceilDiv } from '../../server/src/core/fixed.js';
import { MarketData } from '../../server/src/core/market-data.js';
import { Instrument, Position } from '../../server/src/core/model.js';
import { applyFillToPosition } from '../../server/src/core/positions.js';
import { abs, mulDiv, negate, units, type Units } from '../../server/src/core/units.js';
import { MAX, near, TWO_53 } from './near-edges.js';

const signedNear = (edge: bigint): fc.Arbitrary<bigint> => fc.oneof(near(edge), near(edge).map((v) => -v));
/** Both forms a caller may hold: the canonical `Units` and, for the same value, whatever form units() gives. */
const canonical = (v: bigint): Units => units(v);

const usd = { asset: 'USD', decimals: 6 };
const base = { asset: 'B', decimals: 8 };
const instrument = (baseUnit: bigint): Instrument => new Instrument('B-USD', base, usd, 1n, 1n, 1n, 10n, 0n, 0, 'open', baseUnit, 10, 1_440);

function isCanonical(v: Units): boolean {
  return typeof v === 'number' ? Number.isSafeInteger(v) && !Object.is(v, -0) : v > MAX || v < -MAX;
}

function feeModel(numerator: bigint, notional: bigint, bps: bigint): bigint {
  if (bps > 0n) return ceilDiv(numerator + notional * bps, 10_000n) - ceilDiv(numerator, 10_000n);
  if (bps < 0n) return -((notional * -bps) / 10_000n);
  return 0n;
}

/** The position rule of positions.ts, in bigint throughout (as it was written before `Units`). */
class PositionModel {
  net = 0n;
  cost = 0n;
  realized = 0n;
  fill(buy: boolean, price: bigint, quantity: bigint, baseUnit: bigint): void {
    const notional = (p: bigint, q: bigint): bigint => (p * q) / baseUnit;
    const signed = buy ? quantity : -quantity;
    const net = this.net;
    if (net === 0n || (net > 0n) === buy) {
      this.net = net + signed;
      this.cost += notional(price, quantity);
      return;
    }
    const size = net < 0n ? -net : net;
    const long = net > 0n;
    if (quantity <= size) {
      const removed = (this.cost * quantity) / size;
      const n = notional(price, quantity);
      this.realized += long ? n - removed : removed - n;
      this.cost -= removed;
      this.net = net + signed;
      return;
    }
    const closing = notional(price, size);
    this.realized += long ? closing - this.cost : this.cost - closing;
    this.net = net + signed;
    this.cost = notional(price, quantity - size);
  }
}

describe('amounts in Units: the number path equals the bigint path', () => {
  it('negate, abs and ⌊a × b / d⌋ are exact and canonical around ±2^53', () => {
    fc.assert(fc.property(signedNear(MAX), signedNear(94_906_266n), fc.oneof(near(MAX), fc.bigInt({ min: 1n, max: 1_000n })), (a, b, d0) => {
      const d = d0 === 0n ? 1n : d0;
      for (const [v, expected] of [[negate(canonical(a)), -a], [abs(canonical(a)), a < 0n ? -a : a], [mulDiv(canonical(a), canonical(b), canonical(d)), (a * b) / d]] as const) {
        expect(v).toBe(units(expected));
        expect(isCanonical(v)).toBe(true);
      }
    }), { numRuns: 3_000 });
  });

  it('a fill fee and the fee numerator after it, for charged, rebated and zero rates', () => {
    const notional = fc.oneof(near(TWO_53 / 10_000n), near(MAX));
    const numerator = fc.oneof(fc.bigInt({ min: 0n, max: 20_000n }), near(MAX), fc.bigInt({ min: -MAX - 100_000n, max: -MAX + 100_000n }));
    const bps = fc.oneof(fc.constantFrom(-9_999, -1, 0, 1, 5, 9_999, 10_000), fc.integer({ min: -9_999, max: 10_000 }));
    fc.assert(fc.property(numerator, notional, bps, (num, n, b) => {
      const fee = feeForFill(canonical(num), canonical(n), b);
      const after = chargedNumeratorAfter(canonical(num), canonical(n), b);
      expect(fee).toBe(units(feeModel(num, n, BigInt(b))));
      expect(after).toBe(units(b > 0 ? num + n * BigInt(b) : num));
      expect(isCanonical(fee) && isCanonical(after)).toBe(true);
    }), { numRuns: 5_000 });
  });

  it('a buy hold in Units is the bigint hold, canonical', () => {
    const notional = near(TWO_53 / 10_000n);
    const numerator = fc.oneof(fc.bigInt({ min: -20_000n, max: 20_000n }), near(MAX), fc.bigInt({ min: -MAX - 100_000n, max: -MAX + 100_000n }));
    const bps = fc.oneof(fc.constantFrom(0, 1, 5, 9_999, 10_000), fc.integer({ min: 0, max: 10_000 }));
    fc.assert(fc.property(notional, numerator, bps, (n, num, b) => {
      const hold = buyHoldNeedUnits(canonical(n), canonical(num), b);
      const expected = n + ceilDiv(num + n * BigInt(b), 10_000n) - ceilDiv(num, 10_000n);
      expect(hold).toBe(units(expected));
      expect(isCanonical(hold)).toBe(true);
    }), { numRuns: 3_000 });
  });

  it('a position through a run of fills equals the bigint rule, across 2^53', () => {
    const unit = fc.constantFrom(1n, 100_000_000n, 10n ** 18n);
    const fill = fc.record({
      buy: fc.boolean(),
      price: fc.oneof(fc.bigInt({ min: 1n, max: 1_000_000n }), near(94_906_266n), near(MAX)),
      quantity: fc.oneof(fc.bigInt({ min: 1n, max: 1_000_000n }), near(94_906_266n), near(MAX).map((q) => (q === 0n ? 1n : q))),
    });
    fc.assert(fc.property(unit, fc.array(fill, { minLength: 1, maxLength: 12 }), (baseUnit, fills) => {
      const inst = instrument(baseUnit);
      const p = new Position('B-USD');
      const model = new PositionModel();
      for (const f of fills) {
        applyFillToPosition(p, inst, f.buy, units(f.price), units(f.quantity));
        model.fill(f.buy, f.price, f.quantity, baseUnit);
        expect([p.net, p.cost, p.realized]).toEqual([units(model.net), units(model.cost), units(model.realized)]);
        expect(isCanonical(p.net) && isCanonical(p.cost) && isCanonical(p.realized)).toBe(true);
      }
    }), { numRuns: 2_000 });
  });

  it('candle volumes add up exactly as they cross 2^53', () => {
    const trade = fc.record({ quantity: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), near(MAX / 3n)), quote: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), near(MAX / 2n)) });
    fc.assert(fc.property(fc.array(trade, { minLength: 1, maxLength: 10 }), (trades) => {
      const md = new MarketData(4, 10);
      let volume = 0n;
      let quoteVolume = 0n;
      trades.forEach((t, i) => {
        md.record({ tradeId: i + 1, price: 5, quantity: units(t.quantity), takerSide: 'buy', ts: 0 }, units(t.quote), 0);
        volume += t.quantity;
        quoteVolume += t.quote;
      });
      const candle = md.candles['1m'][0]!;
      expect([candle.volume, candle.quoteVolume, candle.trades]).toEqual([units(volume), units(quoteVolume), trades.length]);
      expect(md.lastPrice).toBe(5n);
    }), { numRuns: 1_000 });
  });
});
