/**
 * The Redis connection: start-up refuses a bad or unreachable REDIS_URL with a message naming it;
 * while running, a store fails at once when Redis is gone (so callers fail closed) and works again
 * by itself once Redis is back. Uses a redis-server of its own, which it kills and restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisReplayCache } from '../../server/src/auth/redis-replay-cache.js';
import { RedisTokenBucketStore } from '../../server/src/limits/redis-limit-store.js';
import { connectRedis, RedisUnavailableError, type RedisClient } from '../../server/src/storage/redis.js';
import { eventually } from '../helpers/eventually.js';
import { startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

describe('connecting to Redis', () => {
  it('refuses a URL that is not a redis:// URL, naming REDIS_URL', async () => {
    await expect(connectRedis('not a url')).rejects.toThrow(/^REDIS_URL is not a URL/);
    await expect(connectRedis('http://127.0.0.1:6379')).rejects.toThrow(/REDIS_URL must start with redis:\/\//);
  });

  it('refuses a server that does not answer, naming REDIS_URL and the address (not the password)', async () => {
    const probe = await startRedisServer();
    await probe.stop();
    const error = await connectRedis(`redis://user:hunter2@127.0.0.1:${probe.port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toContain(`REDIS_URL: cannot reach Redis at redis://127.0.0.1:${probe.port}`);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('a store while Redis goes away and comes back', () => {
  let client: RedisClient;
  afterAll(() => client.disconnect());

  it('fails at once while Redis is down, then works again by itself', async () => {
    const errors: Error[] = [];
    client = await connectRedis(server.url, { onError: (e) => errors.push(e) });
    const buckets = new RedisTokenBucketStore(client);
    const replay = new RedisReplayCache(client);
    const shape = { capacity: 2, periodMs: 1000 };
    expect((await buckets.take('k', 1, shape, 0)).taken).toBe(true);

    await server.kill();
    await eventually(async () => {
      const started = Date.now();
      await expect(buckets.take('k', 1, shape, 0)).rejects.toThrow();
      await expect(replay.remember('ak', 'sig', Date.now() + 1000, Date.now())).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1500); // refused promptly, not queued
    });
    await eventually(() => expect(errors.length).toBeGreaterThan(0)); // reported while reconnecting

    await server.restart();
    // The restarted server is empty (no persistence): a fresh bucket, taken again.
    await eventually(async () => expect((await buckets.take('k', 2, shape, 0)).taken).toBe(true));
    expect(await replay.remember('ak', 'sig', Date.now() + 1000, Date.now())).toBe('fresh');
  });
});
