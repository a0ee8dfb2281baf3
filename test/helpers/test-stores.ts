/**
 * Which stores the services under test use, picked by one environment variable:
 * `TEST_STORES=external` (what `npm run test:external` sets) runs every service the shared
 * factory starts on Redis and PostgreSQL; unset or `embedded`, on memory and SQLite.
 *
 * In the external mode the run's global setup (test/helpers/global-setup.ts) starts one
 * redis-server of its own and creates one PostgreSQL database; each service then gets a schema
 * and a Redis key prefix no other service uses, so test files run in parallel without seeing
 * each other's keys, limits or history. A service restarted on the same data directory gets
 * its own schema and prefix back, as a real deployment would.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Config } from '../../server/src/config/schema.js';
import { testStoresMode } from './test-stores-mode.js';

export { testStoresMode, type TestStoresMode } from './test-stores-mode.js';

export type ExternalStoreSettings = Pick<Config, 'stores' | 'redisUrl' | 'redisKeyPrefix' | 'databaseUrl' | 'databaseSchema'>;

const byDataDir = new Map<string, ExternalStoreSettings>();

/**
 * The store settings of a service on `dataDir` in the external mode: the run's servers, with a
 * schema and key prefix of this data directory's own. Undefined in the embedded mode.
 */
export function externalStoresFor(dataDir: string): ExternalStoreSettings | undefined {
  if (testStoresMode() !== 'external') return undefined;
  let settings = byDataDir.get(dataDir);
  if (!settings) {
    const { redisUrl, databaseUrl } = inject('testStores');
    if (redisUrl === '' || databaseUrl === '') throw new Error('TEST_STORES=external, but the global setup provided no Redis or PostgreSQL (see vitest.config.ts)');
    const name = `t_${randomBytes(6).toString('hex')}`;
    settings = { stores: 'external', redisUrl, redisKeyPrefix: `${name}:`, databaseUrl, databaseSchema: name };
    byDataDir.set(dataDir, settings);
  }
  return settings;
}

/** The same settings as the environment variables of a service started as a process (server/src/main.ts). */
export function externalStoresEnv(dataDir: string): Record<string, string> {
  const s = externalStoresFor(dataDir);
  if (!s) return {};
  return { STORES: s.stores, REDIS_URL: s.redisUrl, REDIS_KEY_PREFIX: s.redisKeyPrefix, DATABASE_URL: s.databaseUrl, DATABASE_SCHEMA: s.databaseSchema };
}
