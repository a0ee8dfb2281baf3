/**
 * Once per test run, before any test file: with TEST_STORES=external, a redis-server of the
 * run's own (on a free port, nothing persisted) and a PostgreSQL database of the run's own, both
 * removed when the run ends. Test files then isolate themselves inside them (test-stores.ts).
 * With the embedded stores it does nothing.
 */
import type { TestProject } from 'vitest/node';
import { createTestDatabase } from './postgres.js';
import { startRedisServer } from './redis-server.js';
import { testStoresMode } from './test-stores-mode.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (testStoresMode() !== 'external') {
    project.provide('testStores', { redisUrl: '', databaseUrl: '' });
    return async () => {};
  }
  const [redis, database] = await Promise.all([startRedisServer(), createTestDatabase()]);
  project.provide('testStores', { redisUrl: redis.url, databaseUrl: database.url });
  return async () => {
    await Promise.all([redis.stop(), database.drop()]);
  };
}
