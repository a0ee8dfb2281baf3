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

import { units, type Units } from './units.js';

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

/** 10^n as an exact number, for n <= 15. */
const POW10_NUMBER: number[] = [];
for (let i = 0; i <= 15; i++) POW10_NUMBER.push(10 ** i);
/** Digits a number holds exactly (10^15 < 2^53). */
const EXACT_DIGITS = 15;

/**
 * Parses a non-negative decimal string into an integer count of 10^-scale units.
 * Accepted: 1 to 20 integer digits, optionally a point and 1 to 40 decimals. Trailing zeros
 * beyond the scale are accepted ("1.500" at scale 2); any non-zero digit beyond it is
 * 'too_precise' (never rounded). Signs, exponents, blanks and bare points are 'malformed'.
 */
export function parseFixed(input: unknown, scale: number): bigint | ParseFailure {
  const v = parseUnits(input, scale);
  return typeof v === 'number' ? BigInt(v) : v;
}

/**
 * parseFixed's value as `Units` (units.ts): a number when it is a safe integer, with no bigint
 * made on the way. Written as a scan rather than a regular expression, and summed as an exact
 * number when the result has at most 15 digits, because every price and quantity of every
 * order passes here.
 */
export function parseUnits(input: unknown, scale: number): Units | ParseFailure {
  if (typeof input !== 'string') return 'malformed';
  const n = input.length;
  let i = 0;
  while (i < n && isDigit(input.charCodeAt(i))) i++;
  const intLen = i;
  if (intLen === 0 || intLen > MAX_INTEGER_DIGITS) return 'malformed';
  let fracLen = 0;
  if (i < n) {
    if (input.charCodeAt(i) !== 46) return 'malformed';
    i++;
    while (i < n && isDigit(input.charCodeAt(i))) i++;
    fracLen = i - intLen - 1;
    if (fracLen === 0 || fracLen > 40 || i !== n) return 'malformed';
  }
  const used = fracLen < scale ? fracLen : scale;
  for (let k = intLen + 1 + used; k < n; k++) if (input.charCodeAt(k) !== 48) return 'too_precise';
  if (intLen + scale <= EXACT_DIGITS) {
    let v = 0;
    for (let k = 0; k < intLen; k++) v = v * 10 + (input.charCodeAt(k) - 48);
    for (let k = intLen + 1; k < intLen + 1 + used; k++) v = v * 10 + (input.charCodeAt(k) - 48);
    return v * (POW10_NUMBER[scale - used] as number);
  }
  const digits = used === 0 ? input.slice(0, intLen) : input.slice(0, intLen) + input.slice(intLen + 1, intLen + 1 + used);
  return units(BigInt(digits) * pow10(scale - used));
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Whether a decimal string that parseFixed accepted is already in the canonical form
 * formatFixed writes (no leading zero before other integer digits, no trailing zero after the
 * point), so it can be kept as the value's text instead of formatting it again.
 */
export function isCanonicalDecimal(text: string): boolean {
  if (text.length > 1 && text.charCodeAt(0) === 48 && text.charCodeAt(1) !== 46) return false;
  return text.indexOf('.') < 0 || text.charCodeAt(text.length - 1) !== 48;
}

/**
 * Writes a scaled integer as a canonical decimal string: "1.5", "0.001", "-2", "0". A number
 * must be a safe integer (the core's `Units`), so its digits are exact.
 */
export function formatFixed(value: bigint | number, scale: number): string {
  if (value === 0n || value === 0) return '0';
  if (scale === 0) return value.toString();
  if (typeof value === 'number' && scale < POWERS_OF_TEN.length) return formatSafeInteger(value, scale);
  const negative = value < 0;
  let digits = typeof value === 'number' ? String(negative ? -value : value) : (negative ? -value : value).toString();
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  const cut = digits.length - scale;
  let end = digits.length;
  while (end > cut && digits.charCodeAt(end - 1) === 48) end--;
  const text = end === cut ? digits.slice(0, cut) : digits.slice(0, cut) + '.' + digits.slice(cut, end);
  return negative ? '-' + text : text;
}

/** 10^0 .. 10^15, each exact as a double. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 16 }, (_, i) => 10 ** i);
const ZEROS = '000000000000000';

/**
 * formatFixed of a safe integer at scale 1..15 by arithmetic: its whole and fractional parts as
 * numbers, trailing zeros divided away, so only the two parts are converted to text (every order
 * view and balance event formats several amounts, most of them short).
 */
function formatSafeInteger(value: number, scale: number): string {
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  const unit = POWERS_OF_TEN[scale]!;
  let whole = Math.floor(magnitude / unit);
  let fraction = magnitude - whole * unit;
  // The quotient of a safe integer by a power of ten rounds to the right integer; kept exact regardless.
  if (fraction < 0) {
    whole--;
    fraction += unit;
  } else if (fraction >= unit) {
    whole++;
    fraction -= unit;
  }
  let text: string;
  if (fraction === 0) text = '' + whole;
  else {
    let digits = scale;
    while (fraction % 10 === 0) {
      fraction /= 10;
      digits--;
    }
    const fractionText = '' + fraction;
    text = whole + '.' + (fractionText.length < digits ? ZEROS.slice(0, digits - fractionText.length) + fractionText : fractionText);
  }
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
