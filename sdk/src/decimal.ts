/**
 * Exact comparison of decimal strings (prices and quantities cross the API as strings and are
 * never turned into floating-point numbers here).
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Compares two non-negative decimal strings by value: negative, zero or positive like a sort comparator. */
export function compareDecimal(a: string, b: string): number {
  const ma = DECIMAL.exec(a);
  const mb = DECIMAL.exec(b);
  if (!ma || !mb) throw new TypeError(`not a non-negative decimal: ${ma ? b : a}`);
  const ia = ma[1]!.replace(/^0+(?=\d)/, '');
  const ib = mb[1]!.replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return ia.length - ib.length;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const fa = (ma[2] ?? '').replace(/0+$/, '');
  const fb = (mb[2] ?? '').replace(/0+$/, '');
  const width = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(width, '0');
  const pb = fb.padEnd(width, '0');
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

export function isZeroDecimal(value: string): boolean {
  return /^0+(?:\.0+)?$/.test(value);
}
