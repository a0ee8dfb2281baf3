/** Every idempotency store keeps one contract (memory, SQLite, Redis): a record per (scope, key) for 24 hours. */
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_WINDOW_MS, MemoryIdempotencyStore, SqliteIdempotencyStore, type IdempotencyStore } from '../../server/src/storage/idempotency-store.js';
import { RedisIdempotencyStore } from '../../server/src/storage/redis-idempotency-store.js';
import { storeBackends } from '../helpers/store-backends.js';

const backends = storeBackends();

const stores: [string, () => IdempotencyStore][] = [
  ['memory', () => new MemoryIdempotencyStore()],
  ['SQLite', () => new SqliteIdempotencyStore(backends.sqlite())],
  ['Redis', () => new RedisIdempotencyStore(backends.redis(), { prefix: backends.prefix('idem') })],
];

const record = (createdAt: number, status = 201) => ({ fingerprint: 'fp', status, body: '{"orderId":"o-1","price":"100.25"}', createdAt });

describe.each(stores)('%s idempotency store', (_name, makeStore) => {
  it('returns the record put under (scope, key), and nothing for another scope or key', async () => {
    const store = makeStore();
    const now = Date.now();
    expect(await store.get('acc-1', 'k1', now)).toBeUndefined();
    await store.put('acc-1', 'k1', record(now));
    expect(await store.get('acc-1', 'k1', now + 1)).toEqual(record(now));
    expect(await store.get('acc-2', 'k1', now + 1)).toBeUndefined();
    expect(await store.get('acc-1', 'k2', now + 1)).toBeUndefined();
  });

  it('a later put replaces the record', async () => {
    const store = makeStore();
    const now = Date.now();
    await store.put('acc-1', 'k1', record(now, 400));
    await store.put('acc-1', 'k1', record(now + 5, 201));
    expect(await store.get('acc-1', 'k1', now + 10)).toEqual(record(now + 5, 201));
  });

  it('keeps a record for the 24-hour window and not a millisecond longer', async () => {
    const store = makeStore();
    const now = Date.now();
    await store.put('acc-1', 'k1', record(now));
    expect(await store.get('acc-1', 'k1', now + IDEMPOTENCY_WINDOW_MS - 1)).toEqual(record(now));
    expect(await store.get('acc-1', 'k1', now + IDEMPOTENCY_WINDOW_MS)).toBeUndefined();
  });
});
