/** web/decimal.js: the page's exact comparison and sums of decimal strings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, isPositiveDecimal, isZeroDecimal, subtractDecimal } from '../../web/decimal.js';

/** A decimal string and its value in units of 10^-8, the reference the module is checked against. */
const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 8 })).map(([units, scale]) => {
  const digits = units.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return { text, value: units * 10n ** BigInt(8 - scale) };
});
const valueOf = (text: string) => {
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const v = BigInt(whole! + fraction.padEnd(8, '0'));
  return text.startsWith('-') ? -v : v;
};

describe('decimal strings', () => {
  it('compare, add and subtract exactly, whatever the number of decimals', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => {
      expect(compareDecimal(a.text, b.text)).toBe(a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
      expect(valueOf(addDecimal(a.text, b.text))).toBe(a.value + b.value);
      expect(valueOf(subtractDecimal(a.text, b.text))).toBe(a.value - b.value);
    }));
  });

  it('writes results without trailing zeros, where floats would drift', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('25000.50', '0.50')).toBe('25001');
    expect(subtractDecimal('0.001', '0.01')).toBe('-0.009');
    expect(subtractDecimal('1.5', '1.50')).toBe('0');
    expect(compareDecimal('25000.5', '25000.50')).toBe(0);
    expect(compareDecimal('9.9', '10')).toBe(-1);
  });

  it('tells zero and the positive decimals the API accepts, and refuses what is not a decimal', () => {
    expect(isZeroDecimal('0.000')).toBe(true);
    expect(isPositiveDecimal('0.00001')).toBe(true);
    for (const bad of ['0', '0.0', '-1', '1e3', '.5', '1.', '', ' 1']) expect(isPositiveDecimal(bad), bad).toBe(false);
    expect(() => compareDecimal('1e3', '1')).toThrow(/not a decimal/);
  });
});
