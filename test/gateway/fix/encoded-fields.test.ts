import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessage, FieldsBuilder, type Field } from '../../../server/src/gateway/fix/codec.js';

const fieldArb: fc.Arbitrary<Field> = fc.tuple(
  fc.oneof(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 100_000, max: 2 ** 31 - 1 })),
  // Printable text with non-ASCII characters now and then (carried as their UTF-8 bytes).
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => s.replace(/[\x00-\x1f]/g, 'x')),
);

describe('FIX codec: fields encoded ahead', () => {
  it('make the same message as the fields given as pairs', () => {
    const builder = new FieldsBuilder();
    fc.assert(
      fc.property(fc.array(fieldArb, { maxLength: 12 }), fc.array(fieldArb, { maxLength: 30 }), (head, body) => {
        const header: Field[] = [[35, '8'], ...head];
        for (const [tag, value] of body) builder.add(tag, value);
        expect(encodeMessage('FIX.4.4', header, builder.take())).toBe(encodeMessage('FIX.4.4', header, body));
      }),
      { numRuns: 500 },
    );
  });
});
