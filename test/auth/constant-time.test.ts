import { describe, expect, it, vi } from 'vitest';

// Wrap the real timingSafeEqual so the test can see that HMAC verification goes through it.
const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    default: real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.count++;
      return real.timingSafeEqual(a, b);
    },
  };
});

const { harness, hmacSign, clientCanonical, HMAC_KEY, NOW } = await import('./fixtures.js');

describe('HMAC signatures are compared in constant time', () => {
  it('uses crypto.timingSafeEqual for valid, wrong and wrong-length signatures', async () => {
    const h = harness();
    const { record, secret } = await h.store.create(HMAC_KEY);
    const message = clientCanonical(NOW, 'GET', '/v1/orders');
    const signatures = [hmacSign(secret!, message), hmacSign(secret!, 'x'), Buffer.from('short').toString('base64')];
    const outcomes: boolean[] = [];
    for (const [i, signature] of signatures.entries()) {
      const before = calls.count;
      const r = await h.verifier.verifyRest({ credentials: { keyId: record.keyId, timestamp: String(NOW + i), signature }, method: 'GET', pathWithQuery: '/v1/orders', ip: '::1' });
      outcomes.push(r.ok);
      expect(calls.count).toBeGreaterThan(before);
    }
    expect(outcomes).toEqual([true, false, false]);
  });

  it('also for an unknown key id, so its failure takes the same path', async () => {
    const h = harness();
    const before = calls.count;
    const r = await h.verifier.verifyRest({ credentials: { keyId: 'ak_unknown', timestamp: String(NOW), signature: Buffer.alloc(32).toString('base64') }, method: 'GET', pathWithQuery: '/', ip: '::1' });
    expect(r).toEqual({ ok: false, code: 'AUTH_INVALID' });
    expect(calls.count).toBeGreaterThan(before);
  });
});
