import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRollingWindowStore, RollingWindowMeter, SqliteRollingWindowStore, type RollingWindowPolicy, type RollingWindowStore } from '../../server/src/limits/index.js';
import { ReferenceWindow } from './reference-window.js';
import { RedisRollingWindowStore } from '../../server/src/limits/redis-limit-store.js';
import { storeBackends } from '../helpers/store-backends.js';

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

const backends = storeBackends();

const stores: [string, () => RollingWindowStore][] = [
  ['memory', () => new MemoryRollingWindowStore()],
  ['SQLite', () => new SqliteRollingWindowStore(backends.sqlite())],
  ['Redis', () => new RedisRollingWindowStore(backends.redis(), { prefix: backends.prefix('meter') })],
];

/** Windows of 1 to 3 s in buckets that divide them, with small quotas so that refusals are common. */
const windowPolicy = fc
  .record({ quota: fc.integer({ min: 1, max: 12 }), windowSeconds: fc.integer({ min: 1, max: 3 }), rollingBucketMs: fc.constantFrom(50, 100, 125, 200, 250, 500, 1000) })
  .map((shape): RollingWindowPolicy => ({ ...policy, ...shape }));

describe.each(stores)('rolling-window meter over the %s store', (_name, makeStore) => {
  it('decides, counts and waits exactly as an independent model (a list of timed spends) does', async () => {
    await fc.assert(
      fc.asyncProperty(
        windowPolicy,
        fc.nat({ max: 5000 }),
        // Besides random waits, wait exactly the last reported msBeforeNext, or 1 ms less: the edges.
        fc.array(
          fc.record({
            advance: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constantFrom('next', 'next - 1')),
            action: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant('peek')),
          }),
          { maxLength: 60 },
        ),
        async (p, start, steps) => {
          const clock = { now: 7_000_000 + start };
          const meter = new RollingWindowMeter(p, makeStore(), () => clock.now);
          const model = new ReferenceWindow(p.quota, p.windowSeconds * 1000, p.rollingBucketMs);
          let lastWait = 0;
          for (const step of steps) {
            clock.now += step.advance === 'next' ? lastWait : step.advance === 'next - 1' ? Math.max(0, lastWait - 1) : step.advance;
            if (step.action === 'peek') {
              const reading = await meter.peek('a');
              expect(reading).toEqual(model.peek(clock.now));
              lastWait = reading.msBeforeNext;
              continue;
            }
            const units = Math.min(step.action, p.quota);
            const reading = await meter.consume('a', units);
            expect(reading).toEqual(model.consume(units, clock.now));
            lastWait = reading.msBeforeNext;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a refused request fits after exactly msBeforeNext, and not a millisecond sooner', async () => {
    await fc.assert(
      fc.asyncProperty(
        windowPolicy,
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 300 }), units: fc.integer({ min: 1, max: 12 }) }), { maxLength: 40 }),
        async (p, steps) => {
          const clock = { now: 9_000_000 };
          const meter = new RollingWindowMeter(p, makeStore(), () => clock.now);
          for (const step of steps) {
            clock.now += step.advance;
            const units = Math.min(step.units, p.quota);
            const refused = await meter.consume('a', units);
            if (refused.fits) continue;
            expect(refused.msBeforeNext).toBeGreaterThan(0);
            clock.now += refused.msBeforeNext - 1;
            expect((await meter.consume('a', units)).fits).toBe(false);
            clock.now += 1;
            expect((await meter.consume('a', units)).fits).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refund gives back the units just spent: the window is as it was before them', async () => {
    await fc.assert(
      fc.asyncProperty(
        windowPolicy,
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 300 }), units: fc.integer({ min: 1, max: 12 }) }), { maxLength: 40 }),
        async (p, steps) => {
          const clock = { now: 3_000_000 };
          const meter = new RollingWindowMeter(p, makeStore(), () => clock.now);
          for (const [i, step] of steps.entries()) {
            clock.now += step.advance;
            const units = Math.min(step.units, p.quota);
            // Even steps keep what they spend; odd steps give it back at once.
            const before = await meter.peek('a');
            const spent = (await meter.consume('a', units)).fits;
            if (spent && i % 2 === 1) expect(await meter.refund('a', units)).toEqual(before);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
