/**
 * Authentication lockout counters in Redis: rate-limiter-flexible's RateLimiterRedis (one atomic
 * script per count), so failures anywhere count toward one lockout per IP and per key id. It
 * refuses at once while Redis is not connected, and the verifier then answers AUTH_UNAVAILABLE.
 */
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../limits/counter-store.js';
import type { RedisClient } from '../storage/redis.js';

export function redisLimiterFactory(client: RedisClient, prefix = ''): LimiterFactory {
  return (spec) => new RateLimiterRedis({ storeClient: client, rejectIfRedisNotReady: true, ...spec, keyPrefix: `${prefix}${spec.keyPrefix}` });
}
