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

/** The smaller of a and b. */
export function least(a: Units, b: Units): Units {
  return a < b ? a : b;
}
