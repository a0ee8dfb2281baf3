import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceilDiv, decimalsUsed, formatFixed, isCanonicalDecimal, parseFixed } from '../../server/src/core/fixed.js';

describe('parseFixed', () => {
  it('scales a decimal string to an integer count of units', () => {
    expect(parseFixed('1.25', 2)).toBe(125n);
    expect(parseFixed('1.25', 4)).toBe(12500n);
    expect(parseFixed('7', 3)).toBe(7000n);
    expect(parseFixed('0.00000001', 8)).toBe(1n);
    expect(parseFixed('007.5', 1)).toBe(75n);
  });

  it('accepts trailing zeros beyond the scale but never rounds a significant digit', () => {
    expect(parseFixed('1.500', 2)).toBe(150n);
    expect(parseFixed('1.501', 2)).toBe('too_precise');
    expect(parseFixed('0.000000001', 8)).toBe('too_precise');
  });

  it('refuses malformed and negative input', () => {
    for (const bad of ['-1', '+1', '1e3', '', ' 1', '1 ', '.5', '5.', '1,5', '0x10', 'NaN', 'Infinity', '1.2.3']) {
      expect(parseFixed(bad, 8), bad).toBe('malformed');
    }
    expect(parseFixed(12 as unknown, 2)).toBe('malformed');
    expect(parseFixed(undefined, 2)).toBe('malformed');
  });

  it('bounds the integer part to 20 digits', () => {
    expect(parseFixed('9'.repeat(20), 0)).toBe(BigInt('9'.repeat(20)));
    expect(parseFixed('1' + '0'.repeat(20), 0)).toBe('malformed');
  });
});

describe('parseFixed against its grammar', () => {
  // The rule as a regular expression: what parseFixed scans for by hand.
  const GRAMMAR = /^(\d{1,20})(?:\.(\d{1,40}))?$/;
  const reference = (input: string, scale: number): bigint | 'malformed' | 'too_precise' => {
    const m = GRAMMAR.exec(input);
    if (m === null) return 'malformed';
    const [, int, frac = ''] = m;
    if (/[1-9]/.test(frac.slice(scale))) return 'too_precise';
    return BigInt(int! + frac.slice(0, scale).padEnd(scale, '0'));
  };
  const text = fc.oneof(
    fc.stringMatching(/^\d{1,22}(\.\d{0,42})?$/),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', 'e', ' '), maxLength: 12 }),
    fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }), fc.integer({ min: 0, max: 18 })).map(([v, s]) => formatFixed(v, s)),
  );

  it('accepts, scales and refuses exactly as the grammar says, at every scale', () => {
    fc.assert(fc.property(text, fc.integer({ min: 0, max: 18 }), (input, scale) => {
      expect(parseFixed(input, scale)).toBe(reference(input, scale));
    }), { numRuns: 2000 });
  });

  it('knows a canonical text: what formatFixed writes for the value parsed from it', () => {
    fc.assert(fc.property(text, fc.integer({ min: 0, max: 18 }), (input, scale) => {
      const v = parseFixed(input, scale);
      if (typeof v !== 'bigint') return;
      expect(isCanonicalDecimal(input)).toBe(formatFixed(v, scale) === input);
    }), { numRuns: 2000 });
    expect([isCanonicalDecimal('100.1'), isCanonicalDecimal('100.10'), isCanonicalDecimal('0100'), isCanonicalDecimal('0.5'), isCanonicalDecimal('0')]).toEqual([true, false, false, true, true]);
  });
});

describe('formatFixed', () => {
  it('writes canonical decimals without trailing zeros', () => {
    expect(formatFixed(125n, 2)).toBe('1.25');
    expect(formatFixed(150n, 2)).toBe('1.5');
    expect(formatFixed(100n, 2)).toBe('1');
    expect(formatFixed(0n, 8)).toBe('0');
    expect(formatFixed(1n, 8)).toBe('0.00000001');
    expect(formatFixed(-5n, 3)).toBe('-0.005');
    expect(formatFixed(42n, 0)).toBe('42');
  });

  it('round-trips with parseFixed for every scale', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }), fc.integer({ min: 0, max: 18 }), (v, scale) => {
      expect(parseFixed(formatFixed(v, scale), scale)).toBe(v);
    }));
  });
});

describe('formatFixed of a number', () => {
  // The number path computes by arithmetic; the bigint path is the reference it must agree with.
  const safeIntegers = fc.oneof(
    fc.maxSafeInteger(),
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.tuple(fc.integer({ min: -99_999, max: 99_999 }), fc.integer({ min: 0, max: 10 })).map(([d, z]) => d * 10 ** z),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 10 ** 15, 10 ** 15 - 1, -(10 ** 15) + 1),
  );

  it('writes what the bigint of the same value writes, at every scale', () => {
    fc.assert(fc.property(safeIntegers, fc.integer({ min: 0, max: 18 }), (v, scale) => {
      expect(formatFixed(v, scale)).toBe(formatFixed(BigInt(v), scale));
    }), { numRuns: 5000 });
    expect([formatFixed(125, 2), formatFixed(-5, 3), formatFixed(1, 8), formatFixed(100, 2), formatFixed(Number.MAX_SAFE_INTEGER, 15)])
      .toEqual(['1.25', '-0.005', '0.00000001', '1', '9.007199254740991']);
  });
});

describe('ceilDiv and decimalsUsed', () => {
  it('rounds toward +infinity for both signs', () => {
    expect(ceilDiv(7n, 2n)).toBe(4n);
    expect(ceilDiv(6n, 2n)).toBe(3n);
    expect(ceilDiv(-7n, 2n)).toBe(-3n);
    expect(ceilDiv(0n, 5n)).toBe(0n);
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (a, b) => {
      const c = ceilDiv(a, b);
      expect(c * b >= a && (c - 1n) * b < a).toBe(true);
    }));
  });

  it('counts the decimals a scaled value really uses', () => {
    expect(decimalsUsed(1_000_000n, 8)).toBe(2); // 0.01
    expect(decimalsUsed(1n, 8)).toBe(8);
    expect(decimalsUsed(500n, 2)).toBe(0); // 5
  });
});
