/**
 * Exact fixed-point decimals. Every amount lives as a bigint count of the smallest unit of its
 * scale (10^-scale): "1.25" at scale 2 is 125n. Inputs are parsed strictly (no rounding, no
 * exponent, no sign) and outputs are written in canonical form (no trailing zeros, "0" for zero).
 *
 * Bounds. A parsed input has at most MAX_INTEGER_DIGITS integer digits and a scale of at most
 * MAX_SCALE, so every scaled input is < 10^(20+18) = 10^38. The largest intermediate the core
 * forms is a fee numerator: price (< 10^38) × quantity (< 10^38) / 10^base × 10^4 bps < 10^80,
 * about 266 bits. bigint cannot overflow, and these bounds keep every operation on a handful of
 * machine words, so a command's cost does not depend on the size of the numbers it carries.
 */

/** Most digits accepted before the decimal point. */
export const MAX_INTEGER_DIGITS = 20;
/** Most decimals an asset may keep. */
export const MAX_SCALE = 18;

const POW10: bigint[] = [];
for (let i = 0; i <= 80; i++) POW10.push(10n ** BigInt(i));

/** 10^n as a bigint (cached for the exponents the core uses). */
export function pow10(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

/** Why a decimal string was refused. */
export type ParseFailure = 'malformed' | 'too_precise';

// Up to 20 integer digits; up to 40 written decimals (extra ones must be zeros, see below).
const DECIMAL_RE = /^(\d{1,20})(?:\.(\d{1,40}))?$/;

/**
 * Parses a non-negative decimal string into an integer count of 10^-scale units.
 * Trailing zeros beyond the scale are accepted ("1.500" at scale 2); any non-zero digit beyond
 * it is 'too_precise' (never rounded). Signs, exponents, blanks and bare points are 'malformed'.
 */
export function parseFixed(input: unknown, scale: number): bigint | ParseFailure {
  if (typeof input !== 'string') return 'malformed';
  const m = DECIMAL_RE.exec(input);
  if (m === null) return 'malformed';
  const intPart = m[1] as string;
  const frac = m[2];
  if (frac === undefined) return BigInt(intPart) * pow10(scale);
  if (frac.length > scale) {
    for (let i = scale; i < frac.length; i++) if (frac.charCodeAt(i) !== 48) return 'too_precise';
    return BigInt(intPart + frac.slice(0, scale));
  }
  return BigInt(intPart + frac) * pow10(scale - frac.length);
}

/** Writes a scaled integer as a canonical decimal string: "1.5", "0.001", "-2", "0". */
export function formatFixed(value: bigint, scale: number): string {
  if (value === 0n) return '0';
  if (scale === 0) return value.toString();
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  const cut = digits.length - scale;
  let end = digits.length;
  while (end > cut && digits.charCodeAt(end - 1) === 48) end--;
  const text = end === cut ? digits.slice(0, cut) : digits.slice(0, cut) + '.' + digits.slice(cut, end);
  return negative ? '-' + text : text;
}

/** Number of decimals actually used by a positive scaled value, e.g. 0.010 at scale 8 -> 2. */
export function decimalsUsed(value: bigint, scale: number): number {
  let used = scale;
  let v = value;
  while (used > 0 && v % 10n === 0n) {
    v /= 10n;
    used--;
  }
  return used;
}

/** Ceiling of a / b for b > 0, for any sign of a (bigint division truncates toward zero). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  if (a >= 0n) return (a + b - 1n) / b;
  return -(-a / b);
}
