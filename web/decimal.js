// @ts-check
/**
 * Exact arithmetic on the API's decimal strings ("25000.5", "0.00001"). Prices and quantities
 * are compared and summed as scaled BigInts, never as floats, so the book sorts and the depth
 * totals add up exactly; only chart coordinates are converted to numbers.
 */

/** @typedef {{ units: bigint, scale: number }} Scaled */

/** @param {string} text @returns {Scaled} */
function parse(text) {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const fraction = m[3] ?? '';
  const units = BigInt(`${m[2]}${fraction}`);
  return { units: m[1] ? -units : units, scale: fraction.length };
}

/** @param {Scaled} a @param {Scaled} b @returns {[bigint, bigint, number]} */
function align(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

/** @param {bigint} units @param {number} scale */
function format(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && units !== 0n ? `-${text}` : text;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. @param {string} a @param {string} b */
export function compareDecimal(a, b) {
  const [x, y] = align(parse(a), parse(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a + b, exactly, without trailing zeros. @param {string} a @param {string} b */
export function addDecimal(a, b) {
  const [x, y, scale] = align(parse(a), parse(b));
  return format(x + y, scale);
}

/** a − b, exactly. @param {string} a @param {string} b */
export function subtractDecimal(a, b) {
  const [x, y, scale] = align(parse(a), parse(b));
  return format(x - y, scale);
}

/** @param {string} a */
export function isZeroDecimal(a) {
  return parse(a).units === 0n;
}

/** True for the strings the API accepts as a positive decimal. @param {string} text */
export function isPositiveDecimal(text) {
  return /^\d+(\.\d+)?$/.test(text) && !isZeroDecimal(text);
}
