/**
 * One contract for every limit store: each kind of limit (token buckets, rolling windows) on each
 * backend (memory, SQLite, Redis) answers every operation as the kind's arithmetic applied to a map
 * of states would, keeps keys apart, cannot be overdrawn by a lagging clock, and keeps no state
 * that is the same as an absent one. A spend on several states at once (a request's policies) is
 * all or nothing, and a limiter over any backend reports a refusal from the policy that refused. The Redis scripts' arithmetic near the end of the
 * safe-integer range is checked in redis-arithmetic.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryRollingWindowStore, MemoryTokenBucketStore, QuotaLimiter, ROLLING_WINDOWS, SqliteRollingWindowStore, SqliteTokenBucketStore, TOKEN_BUCKETS,
  type BucketShape, type LimitKind, type RateLimitPolicy, type RateLimitSubject, type WindowShape,
} from '../../server/src/limits/index.js';
import { RedisRollingWindowStore, RedisTokenBucketStore } from '../../server/src/limits/redis-limit-store.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends();


/** A store of one kind, seen through the operations every kind has. */
interface StoreUnderTest<State, Shape> {
  spend(key: string, units: number, shape: Shape, now: number): Promise<{ fitted: boolean; state: State }>;
  giveBack(key: string, units: number, shape: Shape, now: number): Promise<State>;
  read(key: string, shape: Shape, now: number): Promise<State>;
  /** Spends every check, or none if one does not fit (takeAll, consumeAll). */
  spendAll(checks: readonly { key: string; units: number }[], shape: Shape, now: number): Promise<{ fitted: boolean; state: State }[]>;
  /** A limiter of `policies` over this store, on the clock `now`. */
  limiter(policies: readonly RateLimitPolicy[], now: () => number): QuotaLimiter;
  /** States the backend holds now. */
  held(): Promise<number>;
}

interface Backend<State, Shape> {
  name: string;
  open(): StoreUnderTest<State, Shape>;
}

interface KindUnderTest<State, Shape, Spend extends { state: State }> {
  name: string;
  arithmetic: LimitKind<State, Shape, Spend>;
  /** Small shapes, so that refusals and idle states are common. */
  shapes: fc.Arbitrary<Shape>;
  /** A shape that holds `quota` units from idle, and how long after a spend it is idle again at most. */
  example: { shape: Shape; quota: number; idleAfterMs: number };
  /**
   * Two policies of the kind for one subject, the second tighter and slower: after 3 units, 2 more
   * fit the first but not the second. `expected` is the RateLimit and Retry-After of that refusal.
   */
  decision: { policies: [RateLimitPolicy, RateLimitPolicy]; subject: RateLimitSubject; expected: { rateLimit: string; retryAfter: string } };
  backends: Backend<State, Shape>[];
}

/** The generic memory and SQLite stores report their size; Redis is asked for the store's keys. */
const sized = (store: { size: number }) => async () => store.size;
const redisKeys = (prefix: string) => async () => (await backends.redis().keys(`${prefix}*`)).length;

const tokenBuckets: KindUnderTest<unknown, BucketShape, { state: unknown }> = {
  name: 'token-bucket',
  arithmetic: TOKEN_BUCKETS as LimitKind<unknown, BucketShape, { state: unknown }>,
  shapes: fc.record({ capacity: fc.integer({ min: 1, max: 20 }), periodMs: fc.integer({ min: 1, max: 5_000 }) }),
  example: { shape: { capacity: 4, periodMs: 1000 }, quota: 4, idleAfterMs: 1000 },
  decision: {
    policies: [
      { name: 'key', scope: 'key', quota: 10, windowSeconds: 1, description: '' },
      { name: 'ip', scope: 'ip', quota: 3, windowSeconds: 30, description: '' },
    ],
    subject: { key: 'k1', ip: '10.0.0.1' },
    // key: 7 units left, full again in 300 ms; ip: empty, full in 30 s, 2 units back in 20 s.
    expected: { rateLimit: '"key";r=7;t=1, "ip";r=0;t=30', retryAfter: '20' },
  },
  backends: (() => {
    const adapt = (store: MemoryTokenBucketStore | SqliteTokenBucketStore | RedisTokenBucketStore, held: () => Promise<number>): StoreUnderTest<unknown, BucketShape> => ({
      spend: async (key, units, shape, now) => {
        const r = await store.take(key, units, shape, now);
        return { fitted: r.taken, state: r.state };
      },
      giveBack: (key, units, shape, now) => store.giveBack(key, units, shape, now),
      read: (key, shape, now) => store.read(key, shape, now),
      spendAll: async (checks, shape, now) => (await store.takeAll(checks.map((c) => ({ ...c, shape })), now)).map((r) => ({ fitted: r.taken, state: r.state })),
      limiter: (policies, now) => new QuotaLimiter(policies, { buckets: store, now }),
      held,
    });
    return [
      { name: 'memory', open: () => { const s = new MemoryTokenBucketStore(); return adapt(s, sized(s)); } },
      { name: 'SQLite', open: () => { const s = new SqliteTokenBucketStore(backends.sqlite()); return adapt(s, sized(s)); } },
      { name: 'Redis', open: () => { const prefix = backends.prefix('bucket'); return adapt(new RedisTokenBucketStore(backends.redis(), { prefix }), redisKeys(prefix)); } },
    ];
  })(),
};

const rollingWindows: KindUnderTest<unknown, WindowShape, { state: unknown }> = {
  name: 'rolling-window',
  arithmetic: ROLLING_WINDOWS as LimitKind<unknown, WindowShape, { state: unknown }>,
  shapes: fc.record({ quota: fc.integer({ min: 1, max: 20 }), bucketMs: fc.integer({ min: 1, max: 1_000 }), buckets: fc.integer({ min: 1, max: 10 }) }),
  example: { shape: { quota: 4, bucketMs: 100, buckets: 10 }, quota: 4, idleAfterMs: 1000 },
  decision: {
    policies: [
      { name: 'orders-1s', kind: 'rolling-window', scope: 'account', quota: 10, windowSeconds: 1, rollingBucketMs: 100, description: '' },
      { name: 'orders-10s', kind: 'rolling-window', scope: 'account', quota: 3, windowSeconds: 10, rollingBucketMs: 1000, description: '' },
    ],
    subject: { account: 'acc-1' },
    // Both spent at 1,000,000 ms: back after 1 s in the first, after 10 s in the second.
    expected: { rateLimit: '"orders-1s";r=7;t=1, "orders-10s";r=0;t=10', retryAfter: '10' },
  },
  backends: (() => {
    const adapt = (store: MemoryRollingWindowStore | SqliteRollingWindowStore | RedisRollingWindowStore, held: () => Promise<number>): StoreUnderTest<unknown, WindowShape> => ({
      spend: async (key, units, shape, now) => {
        const r = await store.consume(key, units, shape, now);
        return { fitted: r.fits, state: r.state };
      },
      giveBack: (key, units, shape, now) => store.refund(key, units, shape, now),
      read: (key, shape, now) => store.read(key, shape, now),
      spendAll: async (checks, shape, now) => (await store.consumeAll(checks.map((c) => ({ ...c, shape })), now)).map((r) => ({ fitted: r.fits, state: r.state })),
      limiter: (policies, now) => new QuotaLimiter(policies, { windows: store, now }),
      held,
    });
    return [
      { name: 'memory', open: () => { const s = new MemoryRollingWindowStore(); return adapt(s, sized(s)); } },
      { name: 'SQLite', open: () => { const s = new SqliteRollingWindowStore(backends.sqlite()); return adapt(s, sized(s)); } },
      { name: 'Redis', open: () => { const prefix = backends.prefix('window'); return adapt(new RedisRollingWindowStore(backends.redis(), { prefix }), redisKeys(prefix)); } },
    ];
  })(),
};

/** The kinds differ only in their state and shape types, which the contract does not look into. */
const kinds = [tokenBuckets, rollingWindows] as unknown as KindUnderTest<unknown, unknown, { state: unknown }>[];
const cases = kinds.flatMap((kind) => kind.backends.map((backend) => [`${backend.name} ${kind.name}`, kind, backend] as const));

const operation = fc.record({
  op: fc.constantFrom('spend', 'giveBack', 'read', 'spendAll'),
  key: fc.constantFrom('a', 'b'),
  units: fc.integer({ min: 0, max: 25 }),
  advanceMs: fc.integer({ min: 0, max: 3_000 }),
  // For spendAll: the checks, on keys that may repeat (a later one sees what an earlier one spent).
  checks: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), units: fc.integer({ min: 0, max: 12 }) }), { minLength: 1, maxLength: 3 }),
});

/** What spendAll answers over the model's map of states, which it updates when every check fits. */
function modelSpendAll<State, Shape>(arithmetic: LimitKind<State, Shape, { state: State }>, model: Map<string, State>, checks: readonly { key: string; units: number }[], shape: Shape, now: number) {
  const pending = new Map(model);
  const spends = checks.map(({ key, units }) => {
    const spend = arithmetic.spend(pending.get(key), units, shape, now);
    const fitted = arithmetic.fitted(spend);
    if (fitted) pending.set(key, spend.state);
    return { fitted, state: spend.state };
  });
  if (spends.every((s) => s.fitted)) {
    pending.forEach((state, key) => model.set(key, state));
    return spends;
  }
  return spends.map(({ fitted }, i) => ({ fitted, state: arithmetic.current(model.get(checks[i]!.key), shape, now) }));
}

describe.each(cases)('%s store', (_name, kind, backend) => {
  it('answers every spend, give-back, read and spend on several states as the arithmetic over a map of states', async () => {
    await fc.assert(
      fc.asyncProperty(kind.shapes, fc.array(operation, { maxLength: 30 }), async (shape, ops) => {
        const store = backend.open();
        const model = new Map<string, unknown>();
        let now = 1_000_000;
        for (const { op, key, units, advanceMs, checks } of ops) {
          now += advanceMs;
          if (op === 'spendAll') {
            const expected = modelSpendAll(kind.arithmetic, model, checks, shape, now);
            expect(await store.spendAll(checks, shape, now)).toEqual(expected);
          } else if (op === 'spend') {
            const expected = kind.arithmetic.spend(model.get(key), units, shape, now);
            const fitted = kind.arithmetic.fitted(expected);
            if (fitted) model.set(key, expected.state);
            expect(await store.spend(key, units, shape, now)).toEqual({ fitted, state: expected.state });
          } else if (op === 'giveBack') {
            const expected = kind.arithmetic.giveBack(model.get(key), units, shape, now);
            model.set(key, expected);
            expect(await store.giveBack(key, units, shape, now)).toEqual(expected);
          } else {
            expect(await store.read(key, shape, now)).toEqual(kind.arithmetic.current(model.get(key), shape, now));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps keys apart, and a caller whose clock lags the newest spend can never overdraw', async () => {
    const { shape, quota } = kind.example;
    const store = backend.open();
    expect((await store.spend('a', quota, shape, 5_000)).fitted).toBe(true);
    expect((await store.spend('a', 1, shape, 5_000)).fitted).toBe(false);
    for (const lagging of [4_999, 4_000, 0]) expect((await store.spend('a', 1, shape, lagging)).fitted).toBe(false);
    expect((await store.spend('b', quota, shape, 5_000)).fitted).toBe(true);
  });

  it('spends on several states all or nothing: when the second does not fit, the first is left as it was', async () => {
    const { shape, quota } = kind.example;
    const store = backend.open();
    await store.spend('second', quota, shape, 5_000);
    const before = await store.read('first', shape, 5_000);
    const answers = await store.spendAll([{ key: 'first', units: 1 }, { key: 'second', units: 1 }], shape, 5_000);
    expect(answers).toEqual([{ fitted: true, state: before }, { fitted: false, state: await store.read('second', shape, 5_000) }]);
    expect(await store.read('first', shape, 5_000)).toEqual(before);
    // The first alone fits all its quota: nothing of it was spent.
    expect((await store.spend('first', quota, shape, 5_000)).fitted).toBe(true);
    // Two checks on one state count together.
    expect((await store.spendAll([{ key: 'third', units: quota }, { key: 'third', units: 1 }], shape, 5_000)).map((a) => a.fitted)).toEqual([true, false]);
    expect((await store.spend('third', quota, shape, 5_000)).fitted).toBe(true);
  });

  it('a limiter over this store refuses in one decision, reports the refusing policy, and spends nothing', async () => {
    const { policies, subject, expected } = kind.decision;
    const store = backend.open();
    const now = 1_000_000;
    const limiter = store.limiter(policies, () => now);
    expect((await limiter.consume(subject, 3)).allowed).toBe(true);
    const usageBefore = await limiter.peek(subject);
    const refused = await limiter.consume(subject, 2);
    expect(refused.allowed).toBe(false);
    expect(refused.refusedBy).toEqual([policies[1].name]);
    expect(refused.headers['RateLimit']).toBe(expected.rateLimit);
    expect(refused.headers['Retry-After']).toBe(expected.retryAfter);
    expect(refused.retryAfterSeconds).toBe(Number(expected.retryAfter));
    // The first policy had room, but the refused decision spent none of it.
    expect(await limiter.peek(subject)).toEqual(usageBefore);
    expect(usageBefore[0]!.remaining).toBe(7);
  });

  it('keeps no state that is the same as an absent one', async () => {
    const { shape, quota, idleAfterMs } = kind.example;
    const store = backend.open();
    await store.spend('given-back', quota, shape, 0);
    await store.spend('lapsing', 1, shape, 0);
    expect(await store.held()).toBe(2);
    await store.giveBack('given-back', quota, shape, 0);
    expect(await store.held()).toBe(1);
    // A spend that does not fit writes nothing, and an absent state reads as an idle one.
    expect((await store.spend('never', quota + 1, shape, 0)).fitted).toBe(false);
    expect(await store.read('never', shape, idleAfterMs)).toEqual(kind.arithmetic.current(undefined, shape, idleAfterMs));
    expect(await store.held()).toBe(1);
  });
});

describe('forgetting states that became idle with time', () => {
  const shape = tokenBuckets.example.shape;

  it('the memory store forgets them a few at each write, going on where the last write stopped', async () => {
    const store = new MemoryTokenBucketStore({ sweepBatch: 10 });
    // First in the Map, 20 buckets full only at 1900 ms: a sweep starting over at each write would never pass them.
    for (let key = 0; key < 20; key++) await store.take(`busy-${key}`, 4, shape, 900);
    for (let ip = 0; ip < 100; ip++) await store.take(`ip-${ip}`, 1, shape, 0); // full again at 250 ms
    expect(store.size).toBe(120);
    const sizes: number[] = [];
    for (let write = 0; write < 30; write++) {
      await store.giveBack('passer-by', 1, shape, 1000); // leaves a full bucket: keeps nothing
      sizes.push(store.size);
    }
    sizes.reduce((before, after) => {
      expect(before - after).toBeLessThanOrEqual(10); // no write looks at more than 10 states
      return after;
    }, 120);
    expect(sizes.at(-1)).toBe(20); // within two passes every idle state is gone, and only those
    expect(await store.read('ip-7', shape, 1000)).toEqual({ grains: 4000, at: 1000 });
    expect(await store.read('busy-7', shape, 1000)).toEqual({ grains: 400, at: 1000 });
    expect(() => new MemoryTokenBucketStore({ sweepBatch: 1 })).toThrow(RangeError);
  });

  it('the SQLite store deletes their rows at its next sweep', async () => {
    const db = backends.sqlite();
    const store = new SqliteTokenBucketStore(db, { sweepEveryMs: 1000 });
    const rows = () => db.prepare<[], { key: string }>('SELECT key FROM token_buckets ORDER BY key').all().map((r) => r.key);
    await store.take('a', 1, shape, 0);
    await store.take('b', 4, shape, 500);
    await store.take('c', 1, shape, 900);
    expect(rows()).toEqual(['a', 'b', 'c']);
    await store.take('c', 1, shape, 1000); // sweeps: 'a' is full since 250 ms, 'b' not before 1500 ms
    expect(rows()).toEqual(['b', 'c']);
  });

  it('the SQLite stores keep each kind in a table of its own in one database', async () => {
    const db = backends.sqlite();
    await new SqliteTokenBucketStore(db).take('k', 1, shape, 0);
    await new SqliteRollingWindowStore(db).consume('k', 1, rollingWindows.example.shape, 0);
    expect(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name)).toEqual(['rolling_windows', 'token_buckets']);
  });
});
