import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/storage/sqlite.js';
import { MemoryLimitStore, MemoryRollingWindowStore, OrderRateLimiter, ROLLING_WINDOWS, SqliteRollingWindowStore, StoredRollingWindows, type RateLimitDecision, type RollingWindowPolicy, type WindowShape } from '../../server/src/limits/index.js';

/** The general way: window states as arrays over a MemoryLimitStore, every step copying them (the memory store before rings). */
const generalStore = () => new StoredRollingWindows(ROLLING_WINDOWS, new MemoryLimitStore(ROLLING_WINDOWS));

const windowPolicy = (name: string) =>
  fc.record({ quota: fc.integer({ min: 1, max: 12 }), windowSeconds: fc.integer({ min: 1, max: 4 }), rollingBucketMs: fc.constantFrom(100, 250, 500, 1000) })
    .map((shape): RollingWindowPolicy => ({ name, kind: 'rolling-window', scope: 'account', description: '', ...shape }));

const step = fc.oneof(
  fc.record({ op: fc.constant('trySpend' as const), account: fc.constantFrom('a', 'b'), orders: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('spend' as const), account: fc.constantFrom('a', 'b'), orders: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('refund' as const), account: fc.constantFrom('a', 'b'), policy: fc.integer({ min: 0, max: 1 }), units: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('peek' as const), account: fc.constantFrom('a', 'b') }),
  // Mostly forward, now and then a little back (another process's clock, a correction).
  fc.record({ op: fc.constant('clock' as const), ms: fc.oneof(fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: -300, max: -1 }), fc.integer({ min: 5_000, max: 12_000 })) }),
);

/** Everything a decision tells its callers. */
const seen = (d: RateLimitDecision) => ({ allowed: d.allowed, usage: d.usage, refusedBy: d.refusedBy, retryAfterSeconds: d.retryAfterSeconds, headers: d.headers });

describe('order-rate windows spent in place (the memory store)', () => {
  it('decide, refund and report exactly as the general way, whatever the order of spends, refunds, reads and clock steps', async () => {
    await fc.assert(
      fc.asyncProperty(windowPolicy('short'), windowPolicy('long'), fc.array(step, { maxLength: 80 }), async (short, long, steps) => {
        const policies = [short, long];
        const shapes: WindowShape[] = policies.map((p) => ({ quota: p.quota, bucketMs: p.rollingBucketMs, buckets: (p.windowSeconds * 1000) / p.rollingBucketMs }));
        const clock = { now: 1_750_000_000_000 };
        const now = () => clock.now;
        const rings = new MemoryRollingWindowStore();
        const general = generalStore();
        const inPlace = new OrderRateLimiter({ policies, windows: rings, now });
        const reference = new OrderRateLimiter({ policies, windows: general, now });
        const kept: [RateLimitDecision, RateLimitDecision][] = [];
        for (const s of steps) {
          if (s.op === 'clock') {
            clock.now += s.ms;
          } else if (s.op === 'trySpend') {
            const answer = inPlace.trySpend(s.account, s.orders);
            const expected = reference.spend(s.account, s.orders) as RateLimitDecision;
            if (answer === true) expect(expected.allowed).toBe(true);
            else expect(seen(answer as RateLimitDecision)).toEqual(seen(expected));
          } else if (s.op === 'spend') {
            const answer = inPlace.spend(s.account, s.orders) as RateLimitDecision;
            const expected = reference.spend(s.account, s.orders) as RateLimitDecision;
            expect(seen(answer)).toEqual(seen(expected));
            kept.push([answer, expected]);
          } else if (s.op === 'refund') {
            const key = `rw-${policies[s.policy]!.name}:${s.account}`;
            expect(rings.refundNow(key, s.units, shapes[s.policy]!, clock.now)).toEqual(general.refundNow(key, s.units, shapes[s.policy]!, clock.now));
          } else {
            expect(await inPlace.usage(s.account)).toEqual(await reference.usage(s.account));
          }
          for (const account of ['a', 'b']) {
            for (const [i, policy] of policies.entries()) {
              const key = `rw-${policy.name}:${account}`;
              expect(await rings.read(key, shapes[i]!, clock.now)).toEqual(await general.read(key, shapes[i]!, clock.now));
            }
          }
          expect(rings.size).toBe(general.size);
        }
        // A decision kept and read later reads as it was made, whatever was spent in place since.
        for (const [answer, expected] of kept) expect(seen(answer)).toEqual(seen(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('are the memory store only: a store without them (SQLite) answers every order with its decision', () => {
    const policies = [{ name: 'orders-1s', kind: 'rolling-window', scope: 'account', quota: 1, windowSeconds: 1, rollingBucketMs: 100, description: '' }] as const;
    const sqlite = new OrderRateLimiter({ policies, windows: new SqliteRollingWindowStore(openDatabase(':memory:')), now: () => 1_000 });
    expect(sqlite.trySpend('acc')).toMatchObject({ allowed: true, usage: [{ policy: 'orders-1s', remaining: 0 }] });
    expect(sqlite.trySpend('acc')).toMatchObject({ allowed: false, refusedBy: ['orders-1s'] });
    const memory = new OrderRateLimiter({ policies, now: () => 1_000 });
    expect(memory.trySpend('acc')).toBe(true);
    expect(memory.trySpend('acc')).toMatchObject({ allowed: false, refusedBy: ['orders-1s'] });
  });
});
