import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAuth } from '../../server/src/auth/index.js';
import { clientCanonical, hmacSign, HMAC_KEY, NOW } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('openAuth', () => {
  it('a restart keeps keys and keeps the replay window closed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-open-'));
    dirs.push(dataDir);
    const secretKey = 'ab'.repeat(32);
    const first = openAuth({ dataDir, secretKey, now: () => NOW });
    const { record, secret } = await first.store.create(HMAC_KEY);
    const request = { credentials: { keyId: record.keyId, timestamp: String(NOW), signature: hmacSign(secret!, clientCanonical(NOW, 'GET', '/v1/orders')) }, method: 'GET', pathWithQuery: '/v1/orders', ip: '127.0.0.1' };
    expect((await first.verifier.verifyRest(request)).ok).toBe(true);
    first.close();

    const second = openAuth({ dataDir, secretKey, now: () => NOW + 1000 });
    expect(await second.verifier.verifyRest(request)).toEqual({ ok: false, code: 'AUTH_REPLAYED' });
    const fresh = { ...request, credentials: { ...request.credentials, timestamp: String(NOW + 1), signature: hmacSign(secret!, clientCanonical(NOW + 1, 'GET', '/v1/orders')) } };
    expect((await second.verifier.verifyRest(fresh)).ok).toBe(true);
    second.close();
  });

  it('refuses an encryption key that is not 32 bytes', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-open-'));
    dirs.push(dataDir);
    expect(() => openAuth({ dataDir, secretKey: 'abcd' })).toThrow(/32 bytes/);
  });
});
