/**
 * What a store contract test runs its stores on besides memory: a Redis server of the test
 * file's own (started before its tests, stopped after) and in-memory SQLite databases (closed
 * after its tests). Each store gets a fresh Redis key prefix, so stores never see each other.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { connectRedis, type RedisClient } from '../../server/src/storage/redis.js';
import { startRedisServer, type TestRedisServer } from './redis-server.js';

export interface StoreBackends {
  /** The connected client (after the file's beforeAll has run). */
  redis(): RedisClient;
  /** A key prefix no other store of this file uses. */
  prefix(name: string): string;
  /** A new in-memory SQLite database. */
  sqlite(): Database.Database;
}

export function storeBackends(): StoreBackends {
  let server: TestRedisServer | undefined;
  let client: RedisClient | undefined;
  let prefixes = 0;
  const databases: Database.Database[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url);
  });
  afterAll(async () => {
    databases.forEach((db) => db.close());
    client?.disconnect();
    await server?.stop();
  });
  return {
    redis: () => {
      if (!client) throw new Error('the Redis client is only there once the test file has started');
      return client;
    },
    prefix: (name) => `${name}${++prefixes}:`,
    sqlite: () => {
      const db = new Database(':memory:');
      databases.push(db);
      return db;
    },
  };
}
