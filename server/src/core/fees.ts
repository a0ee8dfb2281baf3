/**
 * Fee arithmetic, all in quote units. Fees are always charged in the quote asset: a buyer pays
 * notional + fee, a seller receives notional - fee, the fee account receives both fees.
 *
 * Rounding rule:
 * - A charged fee (rate > 0) is rounded UP to the quote unit, on the order's running total:
 *   each order keeps a numerator S = Σ notional_i × bps_i over its charged fills, its charged
 *   fees so far are ceil(S / 10,000), and a fill pays the increase of that total. So an order
 *   pays at most one unit of rounding in all, however many fills it gets, and a buy order's hold
 *   can be exact (see buyHoldNeed).
 * - A rebate (rate < 0) is rounded DOWN, fill by fill: floor(notional × |bps| / 10,000).
 * Per trade the fee account therefore never loses: the charged side pays at least
 * floor(n·t/10⁴) (ceil(a + x) - ceil(a) >= floor(x)), the rebated side gets at most
 * floor(n·|m|/10⁴), and every taker rate + every maker rate is >= 0 (enforced across accounts).
 */
import { ceilDiv } from './fixed.js';
import { big, ceilDivNumber, mulDivNumber, plus, units, type Units } from './units.js';

const MAX = Number.MAX_SAFE_INTEGER;

export const BPS_DENOMINATOR = 10_000n;
/** Allowed range of a maker or taker rate, in basis points. */
export const MIN_FEE_BPS = -9_999;
export const MAX_FEE_BPS = 10_000;

/**
 * The fee charged (positive) or rebate paid (negative) for a fill of `notional` at `bps`, given
 * the order's charged-fee numerator before it. The caller adds notional × bps to the numerator
 * when bps > 0 (see chargedNumeratorAfter). Exact number arithmetic while every operand and
 * intermediate is a safe integer (a notional up to 2^53 / 10,000, as almost every fill), bigint
 * otherwise; the result is canonical `Units` either way.
 */
export function feeForFill(numeratorBefore: Units, notional: Units, bps: number): Units {
  return feeBetween(numeratorBefore, chargedNumeratorAfter(numeratorBefore, notional, bps), notional, bps);
}

/** feeForFill given the numerator after the fill too (`chargedNumeratorAfter`), so a fill computes it once. */
export function feeBetween(numeratorBefore: Units, after: Units, notional: Units, bps: number): Units {
  if (bps > 0) {
    if (typeof after === 'number' && typeof numeratorBefore === 'number') {
      return ceilDivNumber(after, 10_000) - ceilDivNumber(numeratorBefore, 10_000);
    }
    return units(ceilDiv(big(after), BPS_DENOMINATOR) - ceilDiv(big(numeratorBefore), BPS_DENOMINATOR));
  }
  if (bps < 0) {
    // A rebate rounds down: notional >= 0, so truncation is the floor.
    const r = mulDivNumber(notional, -bps, 10_000);
    return r !== undefined ? 0 - r : units(-((big(notional) * BigInt(-bps)) / BPS_DENOMINATOR));
  }
  return 0;
}

/** The order's charged-fee numerator after a fill (rebated fills do not enter it). */
export function chargedNumeratorAfter(numeratorBefore: Units, notional: Units, bps: number): Units {
  if (bps <= 0) return numeratorBefore;
  if (typeof numeratorBefore === 'number' && typeof notional === 'number' && notional >= 0 && notional <= MAX / 10_000) {
    // notional × bps <= 2^53 here (bps <= 10,000), so the product is exact; plus checks the sum.
    return plus(numeratorBefore, notional * bps);
  }
  return units(big(numeratorBefore) + big(notional) * BigInt(bps));
}

/**
 * Quote a buy order must keep on hold for its remaining quantity: the remaining notional at its
 * limit price plus the largest fee those fills could add to its running total at `holdBps`
 * (the highest rate it can be charged). After any fill at a price <= the limit and a rate
 * <= holdBps the old hold always covers the fill's cost plus the new hold, because ceil is
 * monotonic: ceil((S + N_old·b)/10⁴) >= ceil((S + n·r + N_new·b)/10⁴).
 */
export function buyHoldNeed(remainingNotional: Units, numerator: bigint, holdBps: bigint): bigint {
  if (holdBps >= 0n && holdBps <= 10_000n) return big(buyHoldNeedUnits(remainingNotional, units(numerator), Number(holdBps)));
  return buyHoldNeedBig(big(remainingNotional), numerator, holdBps);
}

/** buyHoldNeed for a rate in [0, 10,000] bps, as canonical `Units` (what an order's `held` keeps). */
export function buyHoldNeedUnits(remainingNotional: Units, numerator: Units, holdBps: number): Units {
  // Exact in numbers when every operand and intermediate is a safe integer (a notional up to
  // 2^53 / 10,000 times a rate of at most 10,000 bps), which is almost always; bigint otherwise.
  if (typeof remainingNotional === 'number' && remainingNotional >= 0 && remainingNotional <= MAX / 10_000
    && typeof numerator === 'number' && holdBps >= 0 && holdBps <= 10_000) {
    const t = numerator + remainingNotional * holdBps;
    if (t <= MAX && t >= -MAX) {
      const need = remainingNotional + ceilDivNumber(t, 10_000) - ceilDivNumber(numerator, 10_000);
      if (need <= MAX) return need;
    }
  }
  return units(buyHoldNeedBig(big(remainingNotional), big(numerator), BigInt(holdBps)));
}

function buyHoldNeedBig(remainingNotional: bigint, numerator: bigint, holdBps: bigint): bigint {
  return remainingNotional + ceilDiv(numerator + remainingNotional * holdBps, BPS_DENOMINATOR) - ceilDiv(numerator, BPS_DENOMINATOR);
}

/**
 * For a market buy by quote amount: the most lots it can take at a price whose one-lot notional
 * is `lotNotional` without cost (notional + fee) exceeding `budget`. With C = ceil(S/10⁴):
 * charged (t > 0): n + ceil((S + n·t)/10⁴) - C <= budget  <=>  n·(10⁴ + t) <= 10⁴·(budget + C) - S;
 * rebated (t <= 0): n - floor(n·|t|/10⁴) <= budget  <=>  n·(10⁴ + t) <= 10⁴·budget.
 */
export function maxLotsForBudget(budget: bigint, numerator: bigint, takerBps: bigint, lotNotional: bigint): bigint {
  const room = takerBps > 0n
    ? BPS_DENOMINATOR * (budget + ceilDiv(numerator, BPS_DENOMINATOR)) - numerator
    : BPS_DENOMINATOR * budget;
  return room / ((BPS_DENOMINATOR + takerBps) * lotNotional);
}

export interface FeeSchedule { makerBps: number; takerBps: number }

/** Validates one schedule on its own: integer rates in range, maker + taker >= 0. */
export function feeScheduleProblem(s: FeeSchedule): string | undefined {
  const { makerBps, takerBps } = s;
  if (!Number.isInteger(makerBps) || !Number.isInteger(takerBps)) return 'fee rates must be integer basis points';
  if (makerBps < MIN_FEE_BPS || makerBps > MAX_FEE_BPS || takerBps < MIN_FEE_BPS || takerBps > MAX_FEE_BPS) {
    return `fee rates must lie in [${MIN_FEE_BPS}, ${MAX_FEE_BPS}] bps`;
  }
  if (makerBps + takerBps < 0) return 'maker + taker must not be negative';
  return undefined;
}
