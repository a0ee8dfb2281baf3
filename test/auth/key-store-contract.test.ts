/** The behaviour every ApiKeyStore must share, run against every implementation (memory, SQLite, PostgreSQL). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyInputError, CompIdTakenError, MemoryApiKeyStore, SecretBox, SqliteApiKeyStore, type ApiKeyStore } from '../../server/src/auth/index.js';
import { PostgresApiKeyStore } from '../../server/src/auth/postgres-key-store.js';
import { connectPostgres, postgresConfig, type PostgresPool } from '../../server/src/storage/postgres.js';
import { openDatabase } from '../../server/src/storage/sqlite.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../helpers/postgres.js';
import { HMAC_KEY, newEd25519Pair, NOW } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'key-contract-'));
let database: TestDatabase;
const opened: { store: PostgresApiKeyStore; pool: PostgresPool }[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const { store, pool } of opened) {
    await store.close();
    await pool.end();
  }
  await database.drop();
});
let n = 0;

/** A store in a schema of its own. */
async function postgresStore(): Promise<ApiKeyStore> {
  const schema = uniqueSchema();
  const pool = await connectPostgres(database.url, { schema });
  const store = await PostgresApiKeyStore.open(pool, postgresConfig(database.url, { schema }), new SecretBox(randomBytes(32)), { now: () => NOW });
  opened.push({ store, pool });
  return store;
}

const stores: [string, () => ApiKeyStore | Promise<ApiKeyStore>][] = [
  ['memory', () => new MemoryApiKeyStore({ now: () => NOW })],
  ['sqlite', () => new SqliteApiKeyStore(openDatabase(join(dir, `k${n++}.db`)), new SecretBox(randomBytes(32)), { now: () => NOW })],
  ['PostgreSQL', postgresStore],
];

describe.each(stores)('%s ApiKeyStore', (_name, make) => {
  it('creates an HMAC key with a one-time 32-byte base64url secret and a full record', async () => {
    const store = await make();
    const created = await store.create({ ...HMAC_KEY, scopes: ['trade', 'read', 'trade'], ipAllowlist: ['10.0.0.0/8'], senderCompId: 'C1', expiresAt: NOW + 1 });
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.record).toEqual({
      keyId: expect.stringMatching(/^ak_[A-Za-z0-9_-]{22}$/),
      accountId: 'acc-1', kind: 'hmac', label: 'bot', scopes: ['trade', 'read'], ipAllowlist: ['10.0.0.0/8'],
      createdAt: NOW, expiresAt: NOW + 1, senderCompId: 'C1',
    });
    expect(await store.get(created.record.keyId)).toEqual(created.record);
    expect(JSON.stringify(await store.get(created.record.keyId))).not.toContain(created.secret);
  });

  it('makes a bound SenderCompID its account\'s for good: another account cannot bind it, even after every key is revoked', async () => {
    const store = await make();
    expect(await store.compIdOwner('DESK')).toBeUndefined();
    const first = await store.create({ ...HMAC_KEY, accountId: 'acc-1', senderCompId: 'DESK', fixSession: { cancelOnDisconnect: true, minHeartBtInt: 5, maxHeartBtInt: 60 } });
    expect(first.record.fixSession).toEqual({ cancelOnDisconnect: true, minHeartBtInt: 5, maxHeartBtInt: 60 });
    expect((await store.get(first.record.keyId))?.fixSession).toEqual({ cancelOnDisconnect: true, minHeartBtInt: 5, maxHeartBtInt: 60 });
    expect(await store.compIdOwner('DESK')).toBe('acc-1');
    // The owner may bind more keys to it.
    await store.create({ ...HMAC_KEY, accountId: 'acc-1', senderCompId: 'DESK' });
    await expect(store.create({ ...HMAC_KEY, accountId: 'acc-2', senderCompId: 'DESK' })).rejects.toBeInstanceOf(CompIdTakenError);
    for (const key of await store.listByAccount('acc-1')) await store.revoke(key.keyId);
    await expect(store.create({ ...HMAC_KEY, accountId: 'acc-2', senderCompId: 'DESK' })).rejects.toBeInstanceOf(CompIdTakenError);
    expect(await store.compIdOwner('DESK')).toBe('acc-1');
    expect(await store.listByAccount('acc-2')).toEqual([]);
  });

  it('refuses heartbeat bounds outside 1-300 s or the wrong way round', async () => {
    const store = await make();
    await expect(store.create({ ...HMAC_KEY, fixSession: { minHeartBtInt: 0 } })).rejects.toBeInstanceOf(ApiKeyInputError);
    await expect(store.create({ ...HMAC_KEY, fixSession: { maxHeartBtInt: 301 } })).rejects.toBeInstanceOf(ApiKeyInputError);
    await expect(store.create({ ...HMAC_KEY, fixSession: { minHeartBtInt: 30, maxHeartBtInt: 10 } })).rejects.toBeInstanceOf(ApiKeyInputError);
  });

  it('gives distinct ids and secrets to every key', async () => {
    const store = await make();
    const keys = await Promise.all(Array.from({ length: 20 }, () => store.create(HMAC_KEY)));
    expect(new Set(keys.map((k) => k.record.keyId)).size).toBe(20);
    expect(new Set(keys.map((k) => k.secret)).size).toBe(20);
  });

  it('takes an Ed25519 public key and never returns a secret for it', async () => {
    const store = await make();
    const pair = newEd25519Pair();
    const created = await store.create({ ...HMAC_KEY, kind: 'ed25519', publicKey: pair.publicPem });
    expect(created.secret).toBeUndefined();
    const material = await store.getForVerification(created.record.keyId);
    expect(material?.material.kind).toBe('ed25519');
  });

  it.each([
    ['no account', { accountId: '' }, /accountId/],
    ['an HMAC key with a public key', { publicKey: 'x' }, /no public key/],
    ['an Ed25519 key without one', { kind: 'ed25519' as const }, /public key/],
    ['an Ed25519 key that is not one', { kind: 'ed25519' as const, publicKey: Buffer.alloc(31).toString('base64') }, /32 bytes/],
    ['a fractional expiry', { expiresAt: 1.5 }, /expiresAt/],
    ['a malformed PEM', { kind: 'ed25519' as const, publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }, /./],
    ['a PEM key of another algorithm', { kind: 'ed25519' as const, publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString() }, /Ed25519/],
    ['an RSA-sized raw key', { kind: 'ed25519' as const, publicKey: Buffer.alloc(64).toString('base64') }, /32 bytes/],
  ])('refuses %s', async (_case, change, message) => {
    const attempt = (await make()).create({ ...HMAC_KEY, ...change });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toBeInstanceOf(ApiKeyInputError);
  });

  it('returns copies: changing a returned record does not change the store', async () => {
    const store = await make();
    const { record } = await store.create(HMAC_KEY);
    const got = await store.get(record.keyId);
    got!.scopes.push('operator');
    got!.ipAllowlist.push('0.0.0.0/0');
    expect(await store.get(record.keyId)).toEqual(record);
  });

  it('lists an account’s keys, revoked ones included, and no other account’s', async () => {
    const store = await make();
    const a = await store.create(HMAC_KEY);
    const b = await store.create({ ...HMAC_KEY, label: 'second' });
    await store.create({ ...HMAC_KEY, accountId: 'acc-2' });
    await store.revoke(b.record.keyId);
    const listed = await store.listByAccount('acc-1');
    expect(listed.map((r) => r.keyId).sort()).toEqual([a.record.keyId, b.record.keyId].sort());
    expect(listed.find((r) => r.keyId === b.record.keyId)?.revokedAt).toBe(NOW);
  });

  it('revokes once, notifies once, and reports unknown keys as undefined', async () => {
    const store = await make();
    const { record } = await store.create(HMAC_KEY);
    const events: unknown[] = [];
    const off = store.onRevoked((e) => events.push(e));
    expect((await store.revoke(record.keyId, NOW + 7))?.revokedAt).toBe(NOW + 7);
    expect((await store.revoke(record.keyId, NOW + 8))?.revokedAt).toBe(NOW + 7);
    expect(events).toEqual([{ keyId: record.keyId, accountId: 'acc-1', revokedAt: NOW + 7 }]);
    off();
    const other = await store.create(HMAC_KEY);
    await store.revoke(other.record.keyId);
    expect(events).toHaveLength(1);
    expect(await store.revoke('ak_nope')).toBeUndefined();
    expect((await store.getForVerification(record.keyId))?.record.revokedAt).toBe(NOW + 7);
  });
});
