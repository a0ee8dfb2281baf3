/**
 * A deliberately simple decimal model for tests, written independently of the core's
 * fixed-point module: strings to scaled bigints and back, plus the ceiling division the fee
 * rules use.
 */

/** "12.5" at scale 3 -> 12500n; also accepts a leading "-". Throws on anything else. */
export function units(text: string, scale: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (m === null) throw new Error(`not a decimal: ${text}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) throw new Error(`${text} has more than ${scale} decimals`);
  const v = BigInt(m[2]! + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -v : v;
}

/** 12500n at scale 3 -> "12.5". */
export function decimal(v: bigint, scale: number): string {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const int = s.slice(0, s.length - scale);
  const frac = s.slice(s.length - scale).replace(/0+$/, '');
  return (neg ? '-' : '') + int + (frac === '' ? '' : '.' + frac);
}

export function ceilDivModel(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b < a ? q + 1n : q;
}

export function floorDivModel(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b > a ? q - 1n : q;
}
