/**
 * Revocation reaches every process sharing the PostgreSQL key store: through LISTEN/NOTIFY at
 * once, and through polling when the notification was missed (the listening connection was cut).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationEvent } from '../../server/src/auth/api-key.js';
import { SecretBox } from '../../server/src/auth/index.js';
import { PostgresApiKeyStore } from '../../server/src/auth/postgres-key-store.js';
import { connectPostgres, postgresConfig, type PostgresPool } from '../../server/src/storage/postgres.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../helpers/postgres.js';
import { HMAC_KEY } from './fixtures.js';

let database: TestDatabase;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await database.drop();
});

/** Two gateways' stores (each with its own pool and listener) over one schema. */
async function twoGateways(pollMs = 60_000): Promise<{ a: PostgresApiKeyStore; b: PostgresApiKeyStore; pool: PostgresPool }> {
  const schema = uniqueSchema();
  const box = new SecretBox(randomBytes(32));
  const stores: PostgresApiKeyStore[] = [];
  let pool: PostgresPool | undefined;
  for (let i = 0; i < 2; i++) {
    const p = await connectPostgres(database.url, { schema });
    pool ??= p;
    const store = await PostgresApiKeyStore.open(p, postgresConfig(database.url, { schema }), box, { pollMs });
    stores.push(store);
    cleanups.push(async () => {
      await store.close();
      await p.end();
    });
  }
  return { a: stores[0]!, b: stores[1]!, pool: pool! };
}

describe('PostgreSQL key store across gateways', () => {
  it('a key revoked on one gateway is refused by another at once, whose listeners are told', async () => {
    const { a, b } = await twoGateways();
    const { record } = await a.create(HMAC_KEY);
    expect((await b.getForVerification(record.keyId))?.record.revokedAt).toBeUndefined(); // now cached in b
    const heard: RevocationEvent[] = [];
    b.onRevoked((event) => heard.push(event));
    await a.revoke(record.keyId, 1234);
    await eventually(() => expect(heard).toEqual([{ keyId: record.keyId, accountId: 'acc-1', revokedAt: 1234 }]));
    expect((await b.getForVerification(record.keyId))?.record.revokedAt).toBe(1234);
  });

  it('a revocation made by hand in SQL is announced too', async () => {
    const { a, pool } = await twoGateways();
    const { record } = await a.create(HMAC_KEY);
    await a.getForVerification(record.keyId);
    const heard: string[] = [];
    a.onRevoked((event) => heard.push(event.keyId));
    await pool.query(`UPDATE api_keys SET revoked_at = 99, revocation = nextval('api_key_revocations') WHERE key_id = $1`, [record.keyId]);
    await eventually(() => expect(heard).toEqual([record.keyId]));
    expect((await a.getForVerification(record.keyId))?.record.revokedAt).toBe(99);
  });

  it('a revocation missed while the listening connection was cut is found by polling', async () => {
    const { a, b, pool } = await twoGateways(100);
    const { record } = await a.create(HMAC_KEY);
    await b.getForVerification(record.keyId);
    const heard: string[] = [];
    b.onRevoked((event) => heard.push(event.keyId));
    // Cut every LISTEN connection of this database, then revoke while they reconnect.
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    await a.revoke(record.keyId, 77);
    await eventually(() => expect(heard).toEqual([record.keyId]));
    expect((await b.getForVerification(record.keyId))?.record.revokedAt).toBe(77);
  });
});
