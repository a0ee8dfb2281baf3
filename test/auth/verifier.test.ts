import { describe, expect, it } from 'vitest';
import { clientCanonical, ed25519Sign, harness, hmacSign, HMAC_KEY, newEd25519Pair, NOW } from './fixtures.js';

const PATH = '/v1/orders?symbol=BTC-USD';
const BODY = '{"side":"buy","quantity":"1.5"}';

async function hmacSetup(overrides: Partial<typeof HMAC_KEY> = {}) {
  const h = harness();
  const created = await h.store.create({ ...HMAC_KEY, ...overrides });
  const secret = created.secret!;
  const signed = (ts: number, method: string, path: string, body: string) => ({
    keyId: created.record.keyId,
    timestamp: String(ts),
    signature: hmacSign(secret, clientCanonical(ts, method, path, body)),
  });
  return { ...h, keyId: created.record.keyId, secret, signed };
}

describe('REST verification with an HMAC key', () => {
  it('accepts a correctly signed request and returns the principal', async () => {
    const { verifier, signed, keyId } = await hmacSetup();
    const result = await verifier.verifyRest({ credentials: signed(NOW, 'POST', PATH, BODY), method: 'POST', pathWithQuery: PATH, body: BODY, ip: '127.0.0.1' });
    expect(result).toEqual({ ok: true, principal: { keyId, accountId: 'acc-1', scopes: ['read', 'trade'] } });
  });

  it.each([
    ['body', { body: '{"side":"buy","quantity":"15"}' }],
    ['path', { pathWithQuery: '/v1/orders/x?symbol=BTC-USD' }],
    ['query', { pathWithQuery: '/v1/orders?symbol=ETH-USD' }],
    ['method', { method: 'DELETE' }],
  ])('rejects a request whose %s differs from what was signed', async (_name, change) => {
    const { verifier, signed } = await hmacSetup();
    const result = await verifier.verifyRest({ credentials: signed(NOW, 'POST', PATH, BODY), method: 'POST', pathWithQuery: PATH, body: BODY, ip: '127.0.0.1', ...change });
    expect(result).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });

  it('rejects a timestamp header changed after signing', async () => {
    const { verifier, signed } = await hmacSetup();
    const credentials = { ...signed(NOW, 'GET', PATH, ''), timestamp: String(NOW + 1) };
    expect(await verifier.verifyRest({ credentials, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });
});

describe('REST verification with an Ed25519 key', () => {
  it.each(['pem', 'raw'] as const)('accepts a signature from a key registered as %s', async (form) => {
    const h = harness();
    const pair = newEd25519Pair();
    const created = await h.store.create({ ...HMAC_KEY, kind: 'ed25519', publicKey: form === 'pem' ? pair.publicPem : pair.publicRawBase64 });
    expect(created.secret).toBeUndefined();
    const credentials = { keyId: created.record.keyId, timestamp: String(NOW), signature: ed25519Sign(pair.privateKey, clientCanonical(NOW, 'POST', PATH, BODY)) };
    const ok = await h.verifier.verifyRest({ credentials, method: 'POST', pathWithQuery: PATH, body: BODY, ip: '::1' });
    expect(ok.ok).toBe(true);
    const tampered = await h.verifier.verifyRest({ credentials: { ...credentials, timestamp: String(NOW + 1) }, method: 'POST', pathWithQuery: PATH, body: BODY, ip: '::1' });
    expect(tampered).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });
});
