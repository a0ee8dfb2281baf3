import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasValidFormat, hasValidFormatAt } from '../../../server/src/gateway/fix/validator.js';
import type { FieldDef } from '../../../server/src/gateway/fix/dictionary.js';

const TYPES = ['INT', 'DAYOFMONTH', 'TAGNUM', 'LENGTH', 'SEQNUM', 'NUMINGROUP', 'FLOAT', 'QTY', 'PRICE', 'PRICEOFFSET', 'AMT', 'PERCENTAGE', 'CHAR', 'BOOLEAN', 'STRING', 'MULTIPLEVALUESTRING', 'CURRENCY', 'EXCHANGE', 'COUNTRY', 'DATA'];

/** Values made mostly of the characters numbers are written with, so the edge cases come up often. */
const valueArb = fc.oneof(
  fc.stringMatching(/^[-0-9.YN]{1,8}$/),
  fc.string({ minLength: 1, maxLength: 8 }),
);

describe('validator: formats checked in place', () => {
  it('agrees with the string check for every type it reads in place, wherever the value lies in the frame', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), valueArb, fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), (type, value, before, after) => {
        const def = { type } as FieldDef;
        const text = `${before}${value}${after}`;
        expect(hasValidFormatAt(type, text, before.length, before.length + value.length)).toBe(hasValidFormat(def, value));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves dates and times to the string check', () => {
    for (const type of ['UTCTIMESTAMP', 'UTCTIMEONLY', 'UTCDATEONLY', 'UTCDATE', 'LOCALMKTDATE', 'MONTHYEAR']) {
      expect(hasValidFormatAt(type, '20240101-00:00:00', 0, 17)).toBeUndefined();
    }
  });
});
