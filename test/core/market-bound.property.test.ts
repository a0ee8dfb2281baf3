/**
 * A market order's reach (`marketBound`) is kept per reference price: it must equal `bandCap` (a
 * buy) and `bandFloor` (a sell) as `Units` for every reference, however the last price and the
 * touch move and come back, with and without a last price, for bands of 0 bps (none), ordinary
 * ones and 10,000 bps or more (no floor), and prices around 2^53. It shares its cache with
 * `withinBand`'s bounds, so limit checks are interleaved at random and must keep the exact rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instrument, type BookNode } from '../../server/src/core/model.js';
import { bandCap, bandFloor, doubledReference, marketBound, withinBand } from '../../server/src/core/price-band.js';
import { units, type Units } from '../../server/src/core/units.js';

const TWO_53 = 2n ** 53n;
const price = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: TWO_53 - 50n, max: TWO_53 + 50n }));
/** One step: the last price (null: none yet), and the best bid and ask (absent: that side empty). */
const step = fc.record({
  last: fc.option(price, { nil: null }),
  bid: fc.option(price, { nil: undefined }),
  ask: fc.option(price, { nil: undefined }),
  /** A limit price checked before the market bounds are read (null: none), and one after. */
  limitBefore: fc.option(price, { nil: null }),
  limitAfter: fc.option(price, { nil: null }),
});

/** The band's rule itself: |2p − r| × 10⁴ <= r × bps, with r = 2 × the reference (no reference: inside). */
function insideBand(inst: Instrument, p: bigint): boolean {
  if (inst.priceBandBps === 0) return true;
  const ref2 = doubledReference(inst);
  if (ref2 < 0n) return true;
  const d = 2n * p - ref2;
  return (d < 0n ? -d : d) * 10_000n <= ref2 * BigInt(inst.priceBandBps);
}

function instrument(bandBps: number, tick: bigint): Instrument {
  const asset = (name: string) => ({ asset: name, decimals: 6 });
  return new Instrument('B-Q', asset('B'), asset('Q'), tick, 1n, 1n, 10n ** 12n, 0n, bandBps, 'open', 10n ** 6n, 10, 1440);
}

/** Sets the book's best bid / ask to one resting node each (or empties the side). */
function setTouch(inst: Instrument, bid: Units | undefined, ask: Units | undefined): void {
  for (const [side, p] of [[inst.bids, bid], [inst.asks, ask]] as const) {
    const level = side.best();
    if (level !== undefined) side.remove(level.head as BookNode);
    if (p !== undefined) side.append({ prev: null, next: null, level: null, remaining: 1 }, p, String(p));
  }
}

describe('a market order\'s band bound kept per reference', () => {
  it('equals bandCap and bandFloor for every reference, through repeats and changes', () => {
    fc.assert(fc.property(
      fc.constantFrom(0, 1, 2000, 9999, 10_000, 15_000), fc.constantFrom(1n, 7n, 100n), fc.array(step, { minLength: 1, maxLength: 30 }),
      (bandBps, tick, steps) => {
        const inst = instrument(bandBps, tick);
        // Each step twice: the second reads the kept bounds.
        for (const s of [...steps, ...steps].flatMap((x) => [x, x])) {
          inst.md.lastPrice = s.last;
          setTouch(inst, s.bid === undefined ? undefined : units(s.bid), s.ask === undefined ? undefined : units(s.ask));
          const cap = bandCap(inst);
          const floor = bandFloor(inst);
          if (s.limitBefore !== null) expect(withinBand(inst, units(s.limitBefore))).toBe(insideBand(inst, s.limitBefore));
          expect(marketBound(inst, true)).toBe(cap === null ? null : units(cap));
          expect(marketBound(inst, false)).toBe(floor === null ? null : units(floor));
          if (s.limitAfter !== null) expect(withinBand(inst, units(s.limitAfter))).toBe(insideBand(inst, s.limitAfter));
        }
      },
    ), { numRuns: 300 });
  });
});
