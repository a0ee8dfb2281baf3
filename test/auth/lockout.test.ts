import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthLockout, MemoryApiKeyStore, RequestVerifier } from '../../server/src/auth/index.js';
import { clientCanonical, hmacSign, HMAC_KEY } from './fixtures.js';

const T0 = 1_750_000_000_000;
const policy = { maxFailures: 3, failureWindowSeconds: 60, baseLockoutSeconds: 10, maxLockoutSeconds: 35, levelMemorySeconds: 3600 };

describe('lockout after repeated failures', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(T0); });
  afterEach(() => vi.useRealTimers());

  async function setup(ipPolicy = { ...policy, maxFailures: 100 }, keyPolicy = policy) {
    const store = new MemoryApiKeyStore();
    const created = await store.create(HMAC_KEY);
    const verifier = new RequestVerifier({ store, lockout: new AuthLockout({ ip: ipPolicy, key: keyPolicy }) });
    const keyId = created.record.keyId;
    const attempt = (valid: boolean, ip = '192.0.2.1', id = keyId) => {
      const ts = String(Date.now());
      const signature = valid ? hmacSign(created.secret!, clientCanonical(ts, 'GET', '/v1/balances')) : hmacSign(created.secret!, 'wrong');
      return verifier.verifyRest({ credentials: { keyId: id, timestamp: ts, signature }, method: 'GET', pathWithQuery: '/v1/balances', ip });
    };
    return { attempt, keyId };
  }

  it('locks a key out after maxFailures bad signatures, even for a good one, with Retry-After', async () => {
    const { attempt } = await setup();
    for (let i = 0; i < 3; i++) expect(await attempt(false)).toEqual({ ok: false, code: 'AUTH_INVALID' });
    expect(await attempt(true)).toEqual({ ok: false, code: 'AUTH_LOCKED_OUT', retryAfterSeconds: 10 });
    vi.advanceTimersByTime(4000);
    expect(await attempt(true)).toEqual({ ok: false, code: 'AUTH_LOCKED_OUT', retryAfterSeconds: 6 });
    vi.advanceTimersByTime(6001);
    expect((await attempt(true)).ok).toBe(true);
  });

  it('doubles the lockout on each repeat, up to the maximum', async () => {
    const { attempt } = await setup();
    const observed: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) await attempt(false);
      const locked = await attempt(true);
      if (locked.ok || locked.code !== 'AUTH_LOCKED_OUT') throw new Error(`round ${round} not locked`);
      observed.push(locked.retryAfterSeconds!);
      vi.advanceTimersByTime(locked.retryAfterSeconds! * 1000 + 1);
    }
    expect(observed).toEqual([10, 20, 35, 35]);
  });

  it('a success resets the key failure count before it reaches the limit', async () => {
    const { attempt } = await setup();
    await attempt(false);
    await attempt(false);
    expect((await attempt(true)).ok).toBe(true);
    vi.advanceTimersByTime(1); // a new timestamp, so the next valid request is not a replay
    await attempt(false);
    await attempt(false);
    expect((await attempt(true)).ok).toBe(true);
  });

  it('locks out an IP that tries many different key ids', async () => {
    const { attempt } = await setup(policy, { ...policy, maxFailures: 100 });
    for (let i = 0; i < 3; i++) expect(await attempt(false, '198.51.100.7', `ak_guess${i}`)).toEqual({ ok: false, code: 'AUTH_INVALID' });
    expect(await attempt(true, '198.51.100.7')).toMatchObject({ ok: false, code: 'AUTH_LOCKED_OUT' });
    // Another address with the same (valid) key is unaffected.
    expect((await attempt(true, '198.51.100.8')).ok).toBe(true);
  });
});
