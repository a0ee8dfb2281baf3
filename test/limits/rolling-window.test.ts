import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRollingWindowStore, RollingWindowMeter } from '../../server/src/limits/index.js';

const policy = { name: 'p', kind: 'rolling-window' as const, scope: 'account' as const, quota: 10, windowSeconds: 1, rollingBucketMs: 100, description: '' };

function meterAt(clock: { now: number }) {
  return new RollingWindowMeter(policy, new MemoryRollingWindowStore(), () => clock.now);
}

describe('rolling-window meter', () => {
  it('allows no burst across a window boundary (a fixed window would allow 2× the quota)', async () => {
    const clock = { now: 1_000_000_999 };
    const meter = meterAt(clock);
    for (let i = 0; i < 10; i++) expect((await meter.consume('a', 1)).fits).toBe(true);
    clock.now += 1;
    const refused = await meter.consume('a', 1);
    expect(refused).toEqual({ fits: false, consumed: 10, msBeforeNext: 900 });
    clock.now += 900;
    expect((await meter.consume('a', 1)).fits).toBe(true);
  });

  it('property: never more than the quota in any span of window − bucket, and never refuses what an exact window would admit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 400 }), units: fc.integer({ min: 1, max: 4 }) }), { maxLength: 80 }),
        async (steps) => {
          const clock = { now: 5_000_000 };
          const meter = meterAt(clock);
          const admitted: { at: number; units: number }[] = [];
          for (const step of steps) {
            clock.now += step.advance;
            const exactWindow = admitted.filter((a) => a.at > clock.now - 1000).reduce((s, a) => s + a.units, 0);
            const reading = await meter.consume('a', step.units);
            if (exactWindow + step.units <= policy.quota) expect(reading.fits).toBe(true);
            if (reading.fits) admitted.push({ at: clock.now, units: step.units });
            const strictSpan = admitted.filter((a) => a.at > clock.now - 900).reduce((s, a) => s + a.units, 0);
            expect(strictSpan).toBeLessThanOrEqual(policy.quota);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a window that is not a whole number of buckets', () => {
    expect(() => new RollingWindowMeter({ ...policy, rollingBucketMs: 300 }, new MemoryRollingWindowStore())).toThrow(/whole number/);
  });
});
