import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryTokenBucketStore, TokenBucketMeter, type TokenBucketPolicy } from '../../server/src/limits/index.js';

/** 10 units, refilled at 10 per second: one unit every 100 ms. */
const policy: TokenBucketPolicy = { name: 'p', kind: 'token-bucket', scope: 'key', quota: 10, windowSeconds: 1, description: '' };

function meterAt(clock: { now: number }, p: TokenBucketPolicy = policy) {
  return new TokenBucketMeter(p, new MemoryTokenBucketStore(), () => clock.now);
}

async function spend(meter: TokenBucketMeter, units: number) {
  const reading = await meter.consume('a', units);
  expect(reading.fits).toBe(true);
  return reading;
}

describe('token-bucket meter', () => {
  it('admits a burst of the whole capacity at once, then refuses', async () => {
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock);
    for (let i = 0; i < 10; i++) await spend(meter, 1);
    expect(await meter.consume('a', 1)).toEqual({ fits: false, consumed: 10, msBeforeNext: 100, msBeforeReset: 1000 });
    // Another partition has a bucket of its own.
    expect((await meter.consume('b', 10)).fits).toBe(true);
  });

  it('refills at quota per window: one unit per 100 ms here, never two', async () => {
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock);
    await spend(meter, 10);
    clock.now += 100;
    await spend(meter, 1);
    expect((await meter.consume('a', 1)).fits).toBe(false);
    clock.now += 1000;
    expect(await meter.peek('a')).toEqual({ consumed: 0, msBeforeNext: 0 });
  });

  it('refills partially and counts the partial unit once it is whole', async () => {
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock);
    await spend(meter, 10);
    clock.now += 250; // 2.5 units back
    expect(await meter.peek('a')).toEqual({ consumed: 8, msBeforeNext: 750 });
    await spend(meter, 2);
    expect(await meter.consume('a', 1)).toEqual({ fits: false, consumed: 10, msBeforeNext: 50, msBeforeReset: 950 });
    clock.now += 50;
    await spend(meter, 1);
  });

  it('charges a refused request nothing: what was left still fits exactly', async () => {
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock);
    await spend(meter, 7);
    const refused = await meter.consume('a', 4);
    expect(refused).toEqual({ fits: false, consumed: 7, msBeforeNext: 100, msBeforeReset: 700 });
    expect(await meter.peek('a')).toEqual({ consumed: 7, msBeforeNext: 700 });
    await spend(meter, 3);
    expect((await meter.consume('a', 1)).fits).toBe(false);
  });

  it('refund gives units back, never beyond capacity', async () => {
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock);
    await spend(meter, 6);
    expect(await meter.refund('a', 6)).toEqual({ consumed: 0, msBeforeNext: 0 });
    await spend(meter, 1);
    clock.now += 100; // full again
    expect(await meter.refund('a', 1)).toEqual({ consumed: 0, msBeforeNext: 0 });
    await spend(meter, 10);
    expect((await meter.consume('a', 1)).fits).toBe(false);
  });

  it('reports exact waits: until full when admitted; when refused, until the units fit and until full', async () => {
    // 3 units per second: one unit every 333⅓ ms, which no float may round in the client's favour.
    const clock = { now: 1_000_000 };
    const meter = meterAt(clock, { ...policy, quota: 3 });
    expect(await meter.consume('a', 1)).toEqual({ fits: true, consumed: 1, msBeforeNext: 334 });
    expect(await meter.consume('a', 2)).toEqual({ fits: true, consumed: 3, msBeforeNext: 1000 });
    expect(await meter.consume('a', 1)).toEqual({ fits: false, consumed: 3, msBeforeNext: 334, msBeforeReset: 1000 });
    clock.now += 333;
    expect(await meter.consume('a', 1)).toEqual({ fits: false, consumed: 3, msBeforeNext: 1, msBeforeReset: 667 });
    clock.now += 1;
    expect(await meter.consume('a', 1)).toEqual({ fits: true, consumed: 3, msBeforeNext: 1000 });
    expect(await meter.consume('a', 2)).toEqual({ fits: false, consumed: 3, msBeforeNext: 666, msBeforeReset: 1000 });
  });

  it('refuses a request heavier than the bucket, and a shape it cannot count exactly', async () => {
    const meter = meterAt({ now: 0 });
    await expect(meter.consume('a', 11)).rejects.toThrow(RangeError);
    await expect(meter.consume('a', 0)).rejects.toThrow(RangeError);
    expect(() => meterAt({ now: 0 }, { ...policy, quota: 0 })).toThrow(/capacity/);
    expect(() => meterAt({ now: 0 }, { ...policy, quota: 2 ** 52 })).toThrow(/too large/);
  });
});

/** Bucket sizes and periods whose per-unit refill time (period / quota) is a whole number of ms. */
const evenShape = fc.record({
  quota: fc.constantFrom(1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000),
  windowSeconds: fc.integer({ min: 1, max: 5 }),
});

describe('token-bucket meter properties', () => {
  it('admits at most capacity + rate × (t1 − t0) in any interval [t0, t1]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ quota: fc.integer({ min: 1, max: 40 }), windowSeconds: fc.integer({ min: 1, max: 5 }) }),
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 700 }), weight: fc.integer({ min: 1, max: 40 }) }), { maxLength: 60 }),
        async (shape, steps) => {
          const clock = { now: 7_000_000 };
          const meter = meterAt(clock, { ...policy, ...shape });
          const periodMs = shape.windowSeconds * 1000;
          const admitted: { at: number; weight: number }[] = [];
          for (const step of steps) {
            clock.now += step.advance;
            const weight = Math.min(step.weight, shape.quota);
            if ((await meter.consume('a', weight)).fits) admitted.push({ at: clock.now, weight });
          }
          for (let i = 0; i < admitted.length; i++) {
            let total = 0;
            for (let j = i; j < admitted.length; j++) {
              total += admitted[j]!.weight;
              // total ≤ quota + quota × (t1 − t0) / period, multiplied out to stay in integers.
              expect(total * periodMs).toBeLessThanOrEqual(shape.quota * periodMs + shape.quota * (admitted[j]!.at - admitted[i]!.at));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never refuses a client pacing at exactly the refill rate, even after spending a burst', async () => {
    await fc.assert(
      fc.asyncProperty(
        evenShape,
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 60 }),
        async (shape, burstSeed, weightSeeds) => {
          const clock = { now: 3_000_000 };
          const meter = meterAt(clock, { ...policy, ...shape });
          const msPerUnit = (shape.windowSeconds * 1000) / shape.quota;
          const burst = burstSeed % (shape.quota + 1);
          if (burst > 0) expect((await meter.consume('a', burst)).fits).toBe(true);
          for (const seed of weightSeeds) {
            const weight = 1 + (seed % shape.quota);
            // Each request comes exactly as long after the last as its weight takes to refill.
            clock.now += weight * msPerUnit;
            expect((await meter.consume('a', weight)).fits).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decides and waits exactly as an independent model (GCRA in bigint) does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ quota: fc.integer({ min: 1, max: 40 }), windowSeconds: fc.integer({ min: 1, max: 5 }) }),
        // Besides random waits, wait exactly the last reported msBeforeNext, or 1 ms less: the edges.
        fc.array(fc.record({ advance: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom('next', 'next - 1')), weight: fc.integer({ min: 1, max: 40 }) }), { maxLength: 60 }),
        async (shape, steps) => {
          const clock = { now: 11_000_000 };
          let lastWait = 0;
          const meter = meterAt(clock, { ...policy, ...shape });
          // The bucket as the time it will be full again ("theoretical arrival time"), with time
          // scaled by the quota so that one unit is exactly `period` scaled ms.
          const q = BigInt(shape.quota);
          const period = BigInt(shape.windowSeconds * 1000);
          let fullAt = 0n;
          for (const step of steps) {
            clock.now += step.advance === 'next' ? lastWait : step.advance === 'next - 1' ? Math.max(0, lastWait - 1) : step.advance;
            const weight = Math.min(step.weight, shape.quota);
            const now = BigInt(clock.now) * q;
            const after = (fullAt > now ? fullAt : now) + BigInt(weight) * period;
            const admit = after <= now + q * period;
            if (admit) fullAt = after;
            const waitScaled = admit ? fullAt - now : after - q * period - now;
            const reading = await meter.consume('a', weight);
            expect(reading.fits).toBe(admit);
            expect(reading.msBeforeNext).toBe(Number((waitScaled + q - 1n) / q));
            lastWait = reading.msBeforeNext;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a refused request fits after exactly msBeforeNext, and not a millisecond sooner', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ quota: fc.integer({ min: 1, max: 40 }), windowSeconds: fc.integer({ min: 1, max: 5 }) }),
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 300 }), weight: fc.integer({ min: 1, max: 40 }) }), { maxLength: 40 }),
        async (shape, steps) => {
          const clock = { now: 9_000_000 };
          const meter = meterAt(clock, { ...policy, ...shape });
          for (const step of steps) {
            clock.now += step.advance;
            const weight = Math.min(step.weight, shape.quota);
            const refused = await meter.consume('a', weight);
            if (refused.fits) continue;
            expect(refused.msBeforeNext).toBeGreaterThan(0);
            clock.now += refused.msBeforeNext - 1;
            expect((await meter.consume('a', weight)).fits).toBe(false);
            clock.now += 1;
            expect((await meter.consume('a', weight)).fits).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
