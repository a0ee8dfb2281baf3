/**
 * The Redis stores' scripts compute exactly what the TypeScript arithmetic computes, step for
 * step, including shapes whose grains and times are near the end of the safe-integer range
 * (where a float quotient or a 14-digit number format would go wrong). Like every store, Redis
 * forgets a full bucket: it is the same as an absent one.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRollingWindowStore, RedisTokenBucketStore } from '../../server/src/limits/redis-limit-store.js';
import { consume, refund, advance, type WindowShape, type WindowState } from '../../server/src/limits/rolling-window.js';
import { fullAt, giveBack, refill, take, type BucketShape, type BucketState } from '../../server/src/limits/token-bucket.js';
import { connectRedis, type RedisClient } from '../../server/src/storage/redis.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
let redis: RedisClient;
let run = 0;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const op = fc.record({ kind: fc.constantFrom('spend', 'give', 'read'), units: fc.integer({ min: 0, max: 50 }), advance: fc.integer({ min: -2000, max: 100_000 }) });

describe('Redis scripts against the TypeScript arithmetic', () => {
  it('token buckets: every take, give-back and read, also with huge shapes and clocks', async () => {
    const shapes = fc.oneof(
      fc.record({ capacity: fc.integer({ min: 1, max: 50 }), periodMs: fc.integer({ min: 1, max: 60_000 }) }),
      // capacity × period close to 2^52: grains with 16 digits.
      fc.record({ capacity: fc.integer({ min: 1_000_000, max: 4_000_000 }), periodMs: fc.integer({ min: 500_000_000, max: 1_000_000_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(shapes, fc.integer({ min: 0, max: 2 ** 50 }), fc.array(op, { maxLength: 25 }), async (shape: BucketShape, start, ops) => {
        const store = new RedisTokenBucketStore(redis, { prefix: `arith${++run}:` });
        let model: BucketState | undefined;
        const kept = (state: BucketState) => (fullAt(state, shape) <= state.at ? undefined : state);
        let now = start;
        for (const o of ops) {
          now = Math.max(0, now + o.advance);
          if (o.kind === 'spend') {
            const expected = take(model, o.units, shape, now);
            expect(await store.take('k', o.units, shape, now)).toEqual(expected);
            if (expected.taken) model = kept(expected.state);
          } else if (o.kind === 'give') {
            const expected = giveBack(model, o.units, shape, now);
            expect(await store.giveBack('k', o.units, shape, now)).toEqual(expected);
            model = kept(expected);
          } else {
            expect(await store.read('k', shape, now)).toEqual(refill(model, shape, now));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rolling windows: every consume, refund and read, also with far-off clocks', async () => {
    const shapes = fc.record({ quota: fc.integer({ min: 1, max: 60 }), bucketMs: fc.integer({ min: 1, max: 5000 }), buckets: fc.integer({ min: 1, max: 20 }) });
    await fc.assert(
      fc.asyncProperty(shapes, fc.integer({ min: 0, max: 2 ** 50 }), fc.array(op, { maxLength: 25 }), async (shape: WindowShape, start, ops) => {
        const store = new RedisRollingWindowStore(redis, { prefix: `arith${++run}:` });
        let model: WindowState | undefined;
        let now = start;
        for (const o of ops) {
          now = Math.max(0, now + o.advance);
          if (o.kind === 'spend') {
            const expected = consume(model, o.units, shape, now);
            expect(await store.consume('k', o.units, shape, now)).toEqual(expected);
            if (expected.fits) model = expected.state;
          } else if (o.kind === 'give') {
            model = refund(model, o.units, shape, now);
            expect(await store.refund('k', o.units, shape, now)).toEqual(model);
          } else {
            expect(await store.read('k', shape, now)).toEqual(advance(model, shape, now));
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
