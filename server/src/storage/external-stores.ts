/**
 * `stores: external`: the shared state of every gateway process, on Redis and PostgreSQL.
 * Opening connects to both (a bad URL or a server that does not answer stops start-up with a
 * message naming REDIS_URL or DATABASE_URL), applies the PostgreSQL migrations, and builds each
 * store over the two connections.
 */
import type { Logger } from 'pino';
import { PostgresAuditLog } from '../audit/postgres-audit-log.js';
import { AuthLockout, type AuthLockoutOptions } from '../auth/lockout.js';
import { PostgresApiKeyStore } from '../auth/postgres-key-store.js';
import { redisLimiterFactory } from '../auth/redis-lockout.js';
import { RedisReplayCache } from '../auth/redis-replay-cache.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Config } from '../config/schema.js';
import { RedisSessionLeases } from '../gateway/fix/redis-session-leases.js';
import { RedisRollingWindowStore, RedisTokenBucketStore } from '../limits/redis-limit-store.js';
import { connectPostgres, postgresConfig, type PostgresPool } from './postgres.js';
import { RedisIdempotencyStore } from './redis-idempotency-store.js';
import { connectRedis, type RedisClient } from './redis.js';

export interface ExternalStores {
  redis: RedisClient;
  pool: PostgresPool;
  keys: PostgresApiKeyStore;
  replayCache: RedisReplayCache;
  lockout: AuthLockout;
  buckets: RedisTokenBucketStore;
  windows: RedisRollingWindowStore;
  idempotency: RedisIdempotencyStore;
  leases: RedisSessionLeases;
  audit: PostgresAuditLog;
  /** Whether Redis is connected: authentication and limits cannot work without it. */
  redisReady(): boolean;
  close(): Promise<void>;
}

/** stores: external without the URLs it needs. */
export class StoresConfigError extends Error {
  override readonly name = 'StoresConfigError';
}

export interface ExternalStoreHooks {
  /** Told of each authentication lockout (metrics). */
  onLockout?: AuthLockoutOptions['onLockout'];
}

export async function openExternalStores(config: Config, box: SecretBox, logger: Logger, hooks: ExternalStoreHooks = {}): Promise<ExternalStores> {
  const missing = [config.redisUrl === '' && 'REDIS_URL (redisUrl)', config.databaseUrl === '' && 'DATABASE_URL (databaseUrl)'].filter(Boolean);
  if (missing.length > 0) throw new StoresConfigError(`stores: external needs ${missing.join(' and ')}`);
  let lastRedisError = '';
  const redis = await connectRedis(config.redisUrl, {
    onError: (error) => {
      // One line per kind of failure, not one per reconnection attempt.
      if (error.message !== lastRedisError) logger.error({ err: error }, 'Redis unreachable: authentication and limits refuse requests until it is back');
      lastRedisError = error.message;
    },
  });
  redis.on('ready', () => {
    if (lastRedisError !== '') logger.info('Redis reachable again');
    lastRedisError = '';
  });
  let pool: PostgresPool | undefined;
  try {
    const schema = config.databaseSchema !== '' ? { schema: config.databaseSchema } : {};
    pool = await connectPostgres(config.databaseUrl, { ...schema, onError: (error) => logger.warn({ err: error }, 'PostgreSQL connection lost') });
    const keys = await PostgresApiKeyStore.open(pool, postgresConfig(config.databaseUrl, schema), box, {
      onError: (error) => logger.warn({ err: error }, 'API key revocations: listening or polling failed; retrying'),
    });
    const prefix = config.redisKeyPrefix;
    const opened = pool;
    return {
      redis,
      pool,
      keys,
      replayCache: new RedisReplayCache(redis, { prefix }),
      lockout: new AuthLockout({ factory: redisLimiterFactory(redis, prefix), ...(hooks.onLockout && { onLockout: hooks.onLockout }) }),
      buckets: new RedisTokenBucketStore(redis, { prefix }),
      windows: new RedisRollingWindowStore(redis, { prefix }),
      idempotency: new RedisIdempotencyStore(redis, { prefix }),
      leases: new RedisSessionLeases(redis, { prefix }),
      audit: new PostgresAuditLog(pool),
      redisReady: () => redis.status === 'ready',
      close: async () => {
        await keys.close();
        await opened.end();
        redis.disconnect();
      },
    };
  } catch (error) {
    redis.disconnect();
    await pool?.end().catch(() => undefined);
    throw error;
  }
}
