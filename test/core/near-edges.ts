/** Operand generators shared by the property tests that check number paths against bigint ones. */
import fc from 'fast-check';

export const TWO_53 = 2n ** 53n;
/** The largest safe integer, as a bigint. */
export const MAX = TWO_53 - 1n;

/** Around 0, around an edge, or anywhere up to twice it. */
export const near = (edge: bigint): fc.Arbitrary<bigint> => fc.oneof(
  fc.bigInt({ min: 0n, max: 1_000n }),
  fc.bigInt({ min: edge - 1_000n < 0n ? 0n : edge - 1_000n, max: edge + 1_000n }),
  fc.bigInt({ min: 0n, max: 2n * edge }),
);
