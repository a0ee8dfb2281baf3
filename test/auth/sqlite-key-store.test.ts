import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../server/src/storage/sqlite.js';
import { RequestVerifier, SecretBox, SqliteApiKeyStore, SqliteReplayCache } from '../../server/src/auth/index.js';
import { clientCanonical, hmacSign, HMAC_KEY, newEd25519Pair, NOW } from './fixtures.js';

let dir: string;
const opened: SqliteDatabase[] = [];
const open = (name = 'keys.db') => {
  const db = openDatabase(join(dir, name));
  opened.push(db);
  return db;
};
const box = new SecretBox(randomBytes(32));

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'auth-')); });
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite API key store', () => {
  it('never writes the HMAC secret in the clear', async () => {
    const db = open();
    const store = new SqliteApiKeyStore(db, box);
    const { secret } = await store.create(HMAC_KEY);
    const raw = Buffer.from(secret!, 'base64url');
    expect(raw).toHaveLength(32);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const needles = [raw, Buffer.from(secret!), Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('hex'))];
    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file));
      for (const needle of needles) expect(bytes.indexOf(needle), `${file} holds the secret`).toBe(-1);
    }
  });

  it('keeps keys, revocations and secrets across reopening the database', async () => {
    const first = new SqliteApiKeyStore(open(), box, { now: () => NOW });
    const hmac = await first.create({ ...HMAC_KEY, ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'], expiresAt: NOW + 86_400_000, senderCompId: 'C1' });
    const pair = newEd25519Pair();
    const ed = await first.create({ ...HMAC_KEY, kind: 'ed25519', label: 'ed', publicKey: pair.publicRawBase64 });
    const gone = await first.create({ ...HMAC_KEY, label: 'gone' });
    await first.revoke(gone.record.keyId, NOW + 5);
    opened[0]!.close();

    const reopened = new SqliteApiKeyStore(open(), box);
    expect(await reopened.get(hmac.record.keyId)).toEqual(hmac.record);
    expect(await reopened.get(gone.record.keyId)).toEqual({ ...gone.record, revokedAt: NOW + 5 });
    expect((await reopened.listByAccount('acc-1')).map((r) => r.label).sort()).toEqual(['bot', 'ed', 'gone']);

    const verifier = new RequestVerifier({ store: reopened, now: () => NOW });
    const message = clientCanonical(NOW, 'GET', '/v1/balances');
    const hmacOk = await verifier.verifyRest({ credentials: { keyId: hmac.record.keyId, timestamp: String(NOW), signature: hmacSign(hmac.secret!, message) }, method: 'GET', pathWithQuery: '/v1/balances', ip: '10.1.1.1' });
    expect(hmacOk.ok).toBe(true);
    const { sign } = await import('node:crypto');
    const edSig = sign(null, Buffer.from(message), pair.privateKey).toString('base64');
    expect((await verifier.verifyRest({ credentials: { keyId: ed.record.keyId, timestamp: String(NOW), signature: edSig }, method: 'GET', pathWithQuery: '/v1/balances', ip: '10.1.1.1' })).ok).toBe(true);
  });

  it('cannot open secrets with another encryption key', async () => {
    const store = new SqliteApiKeyStore(open(), box);
    const created = await store.create(HMAC_KEY);
    const wrongKey = new SqliteApiKeyStore(open(), new SecretBox(randomBytes(32)));
    await expect(wrongKey.getForVerification(created.record.keyId)).rejects.toThrow();
  });

  it('never serves a cached key after another connection revokes it', async () => {
    const gateway = new SqliteApiKeyStore(open(), box);
    const admin = new SqliteApiKeyStore(open(), box);
    const created = await gateway.create(HMAC_KEY);
    expect((await gateway.getForVerification(created.record.keyId))?.record.revokedAt).toBeUndefined();
    await admin.revoke(created.record.keyId, NOW);
    expect((await gateway.getForVerification(created.record.keyId))?.record.revokedAt).toBe(NOW);
  });

  it('emits one revocation event per revoked key', async () => {
    const listenerErrors: unknown[] = [];
    const store = new SqliteApiKeyStore(open(), box, { onListenerError: (e) => listenerErrors.push(e) });
    const created = await store.create(HMAC_KEY);
    const events: unknown[] = [];
    const off = store.onRevoked((e) => events.push(e));
    store.onRevoked(() => { throw new Error('a failing listener must not stop the others'); });
    await store.getForVerification(created.record.keyId);
    await store.revoke(created.record.keyId, NOW);
    await store.revoke(created.record.keyId, NOW + 1);
    expect(events).toEqual([{ keyId: created.record.keyId, accountId: 'acc-1', revokedAt: NOW }]);
    expect(listenerErrors).toHaveLength(1);
    expect((await store.getForVerification(created.record.keyId))?.record.revokedAt).toBe(NOW);
    off();
    expect(await store.revoke('ak_missing')).toBeUndefined();
  });
});

describe('SQLite replay cache', () => {
  it('still rejects a replay after the database is reopened (a restart does not reopen the window)', async () => {
    const keysDb = open();
    const store = new SqliteApiKeyStore(keysDb, box);
    const created = await store.create(HMAC_KEY);
    const credentials = { keyId: created.record.keyId, timestamp: String(NOW), signature: hmacSign(created.secret!, clientCanonical(NOW, 'GET', '/v1/orders')) };
    const request = { credentials, method: 'GET', pathWithQuery: '/v1/orders', ip: '127.0.0.1' };

    const before = new RequestVerifier({ store, now: () => NOW, replayCache: new SqliteReplayCache(open('replay.db')) });
    expect((await before.verifyRest(request)).ok).toBe(true);
    opened[1]!.close();

    const after = new RequestVerifier({ store, now: () => NOW + 2000, replayCache: new SqliteReplayCache(open('replay.db')) });
    expect(await after.verifyRest(request)).toEqual({ ok: false, code: 'AUTH_REPLAYED' });
  });

  it('forgets entries once they expire and admits the same signature again after expiry', async () => {
    const db = open('replay.db');
    const cache = new SqliteReplayCache(db);
    expect(await cache.remember('k', 'sig', 2000, 1000)).toBe('fresh');
    expect(await cache.remember('k', 'sig', 2000, 1999)).toBe('replayed');
    expect(await cache.remember('k', 'other', 2000, 1999)).toBe('fresh');
    expect(await cache.remember('k2', 'sig', 2000, 1999)).toBe('fresh');
    expect(await cache.remember('k', 'sig', 4000, 2000)).toBe('fresh');
    expect(await cache.remember('k', 'new', 9000, 5000)).toBe('fresh');
    const rows = db.prepare('SELECT key_id, signature FROM auth_replay ORDER BY key_id, signature').all();
    expect(rows).toEqual([{ key_id: 'k', signature: 'new' }]);
  });
});
