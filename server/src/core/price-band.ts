/**
 * Fat-finger protection. The reference price is the last trade, else the mid of best bid and
 * best ask; with neither (or priceBandBps = 0) there is no band. A price is inside the band when
 * |price - ref| × 10,000 <= ref × priceBandBps. The mid can be half a unit, so the arithmetic
 * works on 2 × ref and stays exact.
 */
import { ceilDiv, formatFixed } from './fixed.js';
import type { Instrument } from './model.js';
import { big, units, type Units } from './units.js';

const BPS = 10_000n;

/** 2 × the reference price, or -1n when there is none. */
export function doubledReference(inst: Instrument): bigint {
  const last = inst.md.lastPrice;
  if (last !== null) return 2n * last;
  const bid = inst.bids.best();
  const ask = inst.asks.best();
  if (bid === undefined || ask === undefined) return -1n;
  return big(bid.price) + big(ask.price);
}

/**
 * The prices inside the band for one reference, kept per instrument and worked out again only
 * when the reference moves (most orders meet the same last price): with r = 2 × ref, a price p
 * is inside iff r·(10⁴ − bps) <= 2p·10⁴ <= r·(10⁴ + bps), that is ceil(r·(10⁴ − bps) / 2·10⁴)
 * <= p <= floor(r·(10⁴ + bps) / 2·10⁴), the same exact test as |2p − r|·10⁴ <= r·bps.
 */
export class BandBounds {
  /** The reference these bounds are for: the last price, or (without one) the best bid and ask. */
  last: bigint | null = null;
  bid: Units = -1;
  ask: Units = -1;
  /** False until the bounds below are worked out for the reference above. */
  valid = false;
  lo: Units = 0;
  hi: Units = -1;
  /**
   * bandCap and bandFloor as `Units` (null: no band on that side), worked out for the same
   * reference when a market order first needs them (a limit order never does).
   */
  marketValid = false;
  cap: Units | null = null;
  floor: Units | null = null;
}

/** The instrument's bounds for its current reference, or null without a band or a reference. */
function currentBounds(inst: Instrument): BandBounds | null {
  if (inst.priceBandBps === 0) return null;
  const last = inst.md.lastPrice;
  let bid: Units = -1;
  let ask: Units = -1;
  if (last === null) {
    const b = inst.bids.best();
    const a = inst.asks.best();
    if (b === undefined || a === undefined) return null;
    bid = b.price;
    ask = a.price;
  }
  const bounds = inst.band;
  if (!bounds.valid || bounds.last !== last || bounds.bid !== bid || bounds.ask !== ask) {
    const ref2 = last !== null ? 2n * last : big(bid) + big(ask);
    const bps = BigInt(inst.priceBandBps);
    bounds.last = last;
    bounds.bid = bid;
    bounds.ask = ask;
    // As numbers where they are safe integers, so the check of each price compares numbers.
    bounds.lo = units(ceilDiv(ref2 * (BPS - bps), 2n * BPS));
    bounds.hi = units((ref2 * (BPS + bps)) / (2n * BPS));
    bounds.valid = true;
    bounds.marketValid = false;
  }
  return bounds;
}

export function withinBand(inst: Instrument, price: Units): boolean {
  const bounds = currentBounds(inst);
  return bounds === null || (price >= bounds.lo && price <= bounds.hi);
}

/**
 * How far a market order may trade: `bandCap` for a buy, `bandFloor` for a sell, as `Units` (null
 * without a band), kept with `withinBand`'s bounds: both are bigint divisions, and most market
 * orders meet the same last price.
 */
export function marketBound(inst: Instrument, buy: boolean): Units | null {
  const bounds = currentBounds(inst);
  if (bounds === null) return null;
  if (!bounds.marketValid) {
    const cap = bandCap(inst);
    const floor = bandFloor(inst);
    bounds.cap = cap === null ? null : units(cap);
    bounds.floor = floor === null ? null : units(floor);
    bounds.marketValid = true;
  }
  return buy ? bounds.cap : bounds.floor;
}

/** Highest on-tick price inside the band (where market buys stop), or null when there is no band. */
export function bandCap(inst: Instrument): bigint | null {
  if (inst.priceBandBps === 0) return null;
  const ref2 = doubledReference(inst);
  if (ref2 < 0n) return null;
  const max = (ref2 * (BPS + BigInt(inst.priceBandBps))) / (2n * BPS);
  return max - (max % inst.tick);
}

/** Lowest on-tick price inside the band (where market sells stop), or null when there is none. */
export function bandFloor(inst: Instrument): bigint | null {
  if (inst.priceBandBps === 0 || inst.priceBandBps >= 10_000) return null;
  const ref2 = doubledReference(inst);
  if (ref2 < 0n) return null;
  const numerator = ref2 * (BPS - BigInt(inst.priceBandBps));
  const denominator = 2n * BPS;
  const min = (numerator + denominator - 1n) / denominator;
  const rem = min % inst.tick;
  return rem === 0n ? min : min + inst.tick - rem;
}

/** The reference price and the on-tick range a new price must fall in, for a PRICE_OUTSIDE_BAND answer. */
export function bandDetails(inst: Instrument): { referencePrice: string; minPrice: string; maxPrice: string } | undefined {
  const ref2 = doubledReference(inst);
  const cap = bandCap(inst);
  if (ref2 < 0n || cap === null) return undefined;
  const q = inst.quote.decimals;
  // The mid can fall between two units of the quote scale: write it with one more decimal then.
  const referencePrice = ref2 % 2n === 0n ? formatFixed(ref2 / 2n, q) : formatFixed(ref2 * 5n, q + 1);
  return { referencePrice, minPrice: formatFixed(bandFloor(inst) ?? inst.tick, q), maxPrice: formatFixed(cap, q) };
}

/** PRICE_OUTSIDE_BAND's message, with the figures when there is a band. */
export function bandMessage(inst: Instrument): string {
  const d = bandDetails(inst);
  const base = `price is more than ${inst.priceBandBps} bps from the reference price`;
  return d ? `${base} ${d.referencePrice}: allowed ${d.minPrice} to ${d.maxPrice}` : base;
}
