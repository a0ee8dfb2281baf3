/**
 * Amounts on the hot path: prices and base quantities of orders and book levels. Each is an
 * exact count of the smallest unit of its scale, held as a JS number when it is a safe integer
 * (|v| <= 2^53 - 1, as almost every price and quantity is) and as a bigint only beyond that.
 * The form is canonical: a value that fits is always a number, so `===` and Map keys compare
 * values whatever the path that produced them, and a resting order carries no bigint the
 * garbage collector must copy. Products (notional, fees) and balances stay bigint: `big` converts
 * at the point of the product.
 */
export type Units = number | bigint;

const MAX = Number.MAX_SAFE_INTEGER;
const MAX_BIG = BigInt(MAX);

/** The canonical form of an exact count: a number if it is a safe integer, else the bigint. */
export function units(v: bigint): Units {
  return v <= MAX_BIG && v >= -MAX_BIG ? Number(v) : v;
}

/** The count as a bigint, for a product or a balance. */
export function big(v: Units): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** a + b, exact, canonical. */
export function plus(a: Units, b: Units): Units {
  if (typeof a === 'number' && typeof b === 'number') {
    // Both are safe integers: a sum beyond 2^53 - 1 rounds to at least 2^53, so the test is exact.
    const s = a + b;
    if (s <= MAX && s >= -MAX) return s;
  }
  return units(big(a) + big(b));
}

/** a - b, exact, canonical. */
export function minus(a: Units, b: Units): Units {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = a - b;
    if (d <= MAX && d >= -MAX) return d;
  }
  return units(big(a) - big(b));
}

/**
 * ⌊a × b / d⌋ (towards zero) as an exact number when a and b are numbers, d a positive safe
 * integer and a × b a safe integer; else undefined (the caller takes bigint). a - a % d is an
 * exact multiple of d, so the division is exact.
 */
export function mulDivNumber(a: Units, b: Units, d: number): number | undefined {
  if (typeof a !== 'number' || typeof b !== 'number' || d <= 0) return undefined;
  const m = a < 0 ? -a : a;
  const n = b < 0 ? -b : b;
  // Checked before multiplying (a product beyond 2^53 - 1 would be rounded), and after: a true
  // product of 2^53 or more rounds to at least 2^53, so the second test is exact where the
  // first, in floating point, is at its edge.
  if (m !== 0 && n > MAX / m) return undefined;
  const p = a * b;
  if (p > MAX || p < -MAX) return undefined;
  return (p - (p % d)) / d;
}

/** ⌈a / d⌉ for a safe integer a and a positive safe integer d, exactly. */
export function ceilDivNumber(a: number, d: number): number {
  const r = a % d;
  const q = (a - r) / d;
  return r > 0 ? q + 1 : q;
}

/** -a, exact, canonical (0, not -0, for 0). */
export function negate(a: Units): Units {
  return typeof a === 'number' ? 0 - a : units(-a);
}

/** |a|, exact, canonical. */
export function abs(a: Units): Units {
  return a < 0 ? negate(a) : a;
}

/** ⌊a × b / d⌋ (towards zero, as bigint division) for a positive d, exact, canonical. */
export function mulDiv(a: Units, b: Units, d: Units): Units {
  const n = typeof d === 'number' ? mulDivNumber(a, b, d) : undefined;
  return n !== undefined ? n : units((big(a) * big(b)) / big(d));
}

/** The smaller of a and b. */
export function least(a: Units, b: Units): Units {
  return a < b ? a : b;
}
