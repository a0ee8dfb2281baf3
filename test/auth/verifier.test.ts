import { describe, expect, it } from 'vitest';
import { MemoryReplayCache, RequestVerifier } from '../../server/src/auth/index.js';
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

describe('timestamp window', () => {
  const cases: [string, number, string][] = [
    ['exactly 5000 ms old', -5000, 'ok'],
    ['5001 ms old', -5001, 'AUTH_TIMESTAMP_OUT_OF_WINDOW'],
    ['exactly 5000 ms ahead', 5000, 'ok'],
    ['5001 ms ahead', 5001, 'AUTH_TIMESTAMP_OUT_OF_WINDOW'],
    ['an hour old', -3_600_000, 'AUTH_TIMESTAMP_OUT_OF_WINDOW'],
  ];
  it.each(cases)('a timestamp %s gives %s', async (_name, offset, expected) => {
    const { verifier, signed } = await hmacSetup();
    const result = await verifier.verifyRest({ credentials: signed(NOW + offset, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' });
    expect(result.ok ? 'ok' : result.code).toBe(expected);
  });

  it('honours a narrower X-API-Window', async () => {
    const { verifier, signed } = await hmacSetup();
    const narrowed = { ...signed(NOW - 1500, 'GET', PATH, ''), window: '1000' };
    expect(await verifier.verifyRest({ credentials: narrowed, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW', serverTime: NOW });
    const inside = { ...signed(NOW - 900, 'GET', PATH, ''), window: '1000' };
    expect((await verifier.verifyRest({ credentials: inside, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
  });

  it('ignores an X-API-Window wider than the default', async () => {
    const { verifier, signed } = await hmacSetup();
    const widened = { ...signed(NOW - 8000, 'GET', PATH, ''), window: '60000' };
    expect(await verifier.verifyRest({ credentials: widened, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW', serverTime: NOW });
    const insideDefault = { ...signed(NOW - 4000, 'GET', PATH, ''), window: '60000' };
    expect((await verifier.verifyRest({ credentials: insideDefault, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
  });
});

describe('replay protection', () => {
  it('rejects an identical signed request inside the window', async () => {
    const { verifier, signed } = await hmacSetup();
    const request = { credentials: signed(NOW, 'POST', PATH, BODY), method: 'POST', pathWithQuery: PATH, body: BODY, ip: '127.0.0.1' };
    expect((await verifier.verifyRest(request)).ok).toBe(true);
    expect(await verifier.verifyRest(request)).toEqual({ ok: false, code: 'AUTH_REPLAYED' });
  });

  it('rejects a replay whose signature is re-encoded (base64url, no padding)', async () => {
    const { verifier, signed } = await hmacSetup();
    const credentials = signed(NOW, 'GET', PATH, '');
    expect((await verifier.verifyRest({ credentials, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
    const reencoded = Buffer.from(credentials.signature, 'base64').toString('base64url');
    expect(reencoded).not.toBe(credentials.signature);
    const replay = { ...credentials, signature: reencoded };
    expect(await verifier.verifyRest({ credentials: replay, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_REPLAYED' });
  });

  it('still rejects the replay when the narrowing X-API-Window is stripped', async () => {
    const { verifier, signed, clock } = await hmacSetup();
    const credentials = { ...signed(NOW, 'GET', PATH, ''), window: '100' };
    expect((await verifier.verifyRest({ credentials, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
    clock.now = NOW + 3000;
    const { window: _dropped, ...stripped } = credentials;
    expect(await verifier.verifyRest({ credentials: stripped, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_REPLAYED' });
  });

  it('a replay after the window fails the timestamp check', async () => {
    const { verifier, signed, clock } = await hmacSetup();
    const request = { credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' };
    expect((await verifier.verifyRest(request)).ok).toBe(true);
    clock.now = NOW + 5001;
    expect(await verifier.verifyRest(request)).toEqual({ ok: false, code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW', serverTime: NOW + 5001 });
  });

  it('a forged signature does not occupy the replay cache', async () => {
    const { verifier, signed } = await hmacSetup();
    const good = signed(NOW, 'GET', PATH, '');
    // The forged request reuses the good signature for another path, so it fails, and must not block the real one.
    expect(await verifier.verifyRest({ credentials: good, method: 'GET', pathWithQuery: '/v1/other', ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_INVALID' });
    expect((await verifier.verifyRest({ credentials: good, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
  });
});

describe('key states never reveal whether a key exists', () => {
  it('unknown, revoked and expired keys all give AUTH_INVALID', async () => {
    const { verifier, store, signed, secret, clock } = await hmacSetup({ expiresAt: NOW + 60_000 });
    const revoked = await store.create(HMAC_KEY);
    await store.revoke(revoked.record.keyId);
    const results = [];
    // Unknown key id, signed with a real secret.
    results.push(await verifier.verifyRest({ credentials: { ...signed(NOW, 'GET', PATH, ''), keyId: 'ak_doesnotexist' }, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' }));
    // Revoked key, correctly signed with its own secret.
    const revokedCreds = { keyId: revoked.record.keyId, timestamp: String(NOW), signature: hmacSign(revoked.secret!, clientCanonical(NOW, 'GET', PATH)) };
    results.push(await verifier.verifyRest({ credentials: revokedCreds, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' }));
    // Expired key, correctly signed.
    clock.now = NOW + 60_000;
    results.push(await verifier.verifyRest({ credentials: signed(NOW + 60_000, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' }));
    // A wrong signature on a live key, for comparison.
    clock.now = NOW;
    results.push(await verifier.verifyRest({ credentials: { ...signed(NOW, 'GET', PATH, ''), signature: hmacSign(secret, 'other') }, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' }));
    for (const r of results) expect(r).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });

  it('revocation takes effect on the very next request and notifies listeners', async () => {
    const { verifier, store, signed, keyId } = await hmacSetup();
    const events: unknown[] = [];
    store.onRevoked((e) => events.push(e));
    expect((await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
    await store.revoke(keyId, NOW + 1);
    expect(events).toEqual([{ keyId, accountId: 'acc-1', revokedAt: NOW + 1 }]);
    await store.revoke(keyId, NOW + 2);
    expect(events).toHaveLength(1);
    expect(await verifier.verifyRest({ credentials: signed(NOW + 1, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });
});

describe('IP allowlist', () => {
  const cases: [string, string[], string, boolean][] = [
    ['empty list allows any address', [], '203.0.113.9', true],
    ['IPv4 /24 inside', ['198.51.100.0/24'], '198.51.100.77', true],
    ['IPv4 /24 outside', ['198.51.100.0/24'], '198.51.101.1', false],
    ['single IPv4 address', ['192.0.2.10'], '192.0.2.10', true],
    ['IPv4-mapped IPv6 client against an IPv4 block', ['198.51.100.0/24'], '::ffff:198.51.100.5', true],
    ['IPv6 /48 inside', ['2001:db8:abcd::/48'], '2001:db8:abcd:12::1', true],
    ['IPv6 /48 outside', ['2001:db8:abcd::/48'], '2001:db8:abce::1', false],
    ['IPv6 loopback /128', ['::1/128'], '::1', true],
    ['IPv4 client against an IPv6-only list', ['2001:db8::/32'], '192.0.2.1', false],
    ['second entry of a mixed list', ['2001:db8::/32', '10.0.0.0/8'], '10.9.8.7', true],
  ];
  it.each(cases)('%s', async (_name, allowlist, ip, allowed) => {
    const { verifier, signed } = await hmacSetup({ ipAllowlist: allowlist });
    const result = await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip });
    expect(result.ok ? 'ok' : result.code).toBe(allowed ? 'ok' : 'AUTH_IP_NOT_ALLOWED');
  });

  it('refuses to create a key with a malformed CIDR', async () => {
    const h = harness();
    await expect(h.store.create({ ...HMAC_KEY, ipAllowlist: ['10.0.0.0/33'] })).rejects.toThrow(/prefix/);
    await expect(h.store.create({ ...HMAC_KEY, ipAllowlist: ['not-an-ip'] })).rejects.toThrow(/CIDR/);
  });
});

describe('scopes', () => {
  it('admits an operation needing a scope the key has and refuses one it lacks', async () => {
    const { verifier, signed } = await hmacSetup({ scopes: ['read'] });
    const read = await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1', requiredScope: 'read' });
    expect(read.ok).toBe(true);
    const trade = await verifier.verifyRest({ credentials: signed(NOW + 1, 'POST', PATH, BODY), method: 'POST', pathWithQuery: PATH, body: BODY, ip: '127.0.0.1', requiredScope: 'trade' });
    expect(trade).toEqual({ ok: false, code: 'AUTH_SCOPE_MISSING' });
    const operator = await verifier.verifyRest({ credentials: signed(NOW + 2, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1', requiredScope: 'operator' });
    expect(operator).toEqual({ ok: false, code: 'AUTH_SCOPE_MISSING' });
  });

  it('an operator key carries the operator scope', async () => {
    const { verifier, signed } = await hmacSetup({ scopes: ['operator'] });
    const result = await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1', requiredScope: 'operator' });
    expect(result.ok && result.principal.scopes).toEqual(['operator']);
  });

  it('refuses to create a key with an unknown scope or none', async () => {
    const h = harness();
    await expect(h.store.create({ ...HMAC_KEY, scopes: ['admin' as never] })).rejects.toThrow(/scope/);
    await expect(h.store.create({ ...HMAC_KEY, scopes: [] })).rejects.toThrow(/scope/);
  });
});

describe('missing or malformed credentials', () => {
  it.each([
    ['no key', { keyId: undefined }],
    ['no timestamp', { timestamp: undefined }],
    ['no signature', { signature: undefined }],
    ['a non-numeric timestamp', { timestamp: '2025-01-01T00:00:00Z' }],
    ['a fractional timestamp', { timestamp: `${NOW}.5` }],
    ['a signature that is not base64', { signature: 'not base64!' }],
    ['a zero window', { window: '0' }],
    ['a negative window', { window: '-5' }],
  ])('%s gives AUTH_MISSING', async (_name, change) => {
    const { verifier, signed } = await hmacSetup();
    const credentials = { ...signed(NOW, 'GET', PATH, ''), ...change };
    expect(await verifier.verifyRest({ credentials, method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_MISSING' });
  });
});

describe('WebSocket login and FIX Logon', () => {
  it('a WS login signs the canonical string of GET /v1/ws with an empty body', async () => {
    const { verifier, keyId, secret } = await hmacSetup();
    const signature = hmacSign(secret, `${NOW}\nGET\n/v1/ws\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`);
    expect((await verifier.verifyWsLogin({ credentials: { keyId, timestamp: String(NOW), signature }, ip: '127.0.0.1', requiredScope: 'read' })).ok).toBe(true);
    const restStyle = hmacSign(secret, clientCanonical(NOW + 1, 'GET', '/v1/orders'));
    expect(await verifier.verifyWsLogin({ credentials: { keyId, timestamp: String(NOW + 1), signature: restStyle }, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });

  const sendingTime = '20250615-15:06:40.000'; // NOW
  const fields = { sendingTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'CLIENT1', targetCompId: 'EXCH' };
  const prehash = [sendingTime, 'A', '1', 'CLIENT1', 'EXCH'].join('\x01');

  it('a FIX Logon signs SendingTime, MsgType, MsgSeqNum, SenderCompID, TargetCompID joined by SOH', async () => {
    const h = harness();
    const pair = newEd25519Pair();
    const created = await h.store.create({ ...HMAC_KEY, kind: 'ed25519', publicKey: pair.publicPem, senderCompId: 'CLIENT1' });
    const signature = ed25519Sign(pair.privateKey, prehash);
    expect(new Date(NOW).toISOString()).toBe('2025-06-15T15:06:40.000Z');
    const ok = await h.verifier.verifyFixLogon({ keyId: created.record.keyId, signature, fields, ip: '127.0.0.1', requiredScope: 'trade' });
    expect(ok).toEqual({ ok: true, principal: { keyId: created.record.keyId, accountId: 'acc-1', scopes: ['read', 'trade'] } });
  });

  it('a FIX Logon from another SenderCompID than the bound one is AUTH_INVALID', async () => {
    const { verifier, keyId, secret } = await hmacSetup({ senderCompId: 'CLIENT1' });
    const other = { ...fields, senderCompId: 'CLIENT2' };
    const signature = hmacSign(secret, [sendingTime, 'A', '1', 'CLIENT2', 'EXCH'].join('\x01'));
    expect(await verifier.verifyFixLogon({ keyId, signature, fields: other, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_INVALID' });
  });

  it('a FIX Logon with a stale SendingTime or a malformed one is refused', async () => {
    const { verifier, keyId, secret } = await hmacSetup();
    const stale = { ...fields, sendingTime: '20250615-15:06:30.000' };
    const staleSig = hmacSign(secret, [stale.sendingTime, 'A', '1', 'CLIENT1', 'EXCH'].join('\x01'));
    expect(await verifier.verifyFixLogon({ keyId, signature: staleSig, fields: stale, ip: '127.0.0.1' })).toMatchObject({ ok: false, code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW', serverTime: expect.any(Number) });
    const bad = { ...fields, sendingTime: '2025-06-15 15:06:40' };
    expect(await verifier.verifyFixLogon({ keyId, signature: staleSig, fields: bad, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_MISSING' });
  });
});

describe('store failures', () => {
  it('refuse with AUTH_UNAVAILABLE and are reported, never admitted', async () => {
    const { store, signed } = await hmacSetup();
    const errors: unknown[] = [];
    const failingReplay = { remember: async () => { throw new Error('replay store down'); } };
    const verifier = new RequestVerifier({ store, now: () => NOW, replayCache: failingReplay, onError: (e) => errors.push(e) });
    const result = await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' });
    expect(result).toEqual({ ok: false, code: 'AUTH_UNAVAILABLE' });
    expect(String(errors[0])).toContain('replay store down');
  });

  it('a full replay cache refuses with AUTH_UNAVAILABLE', async () => {
    const { store, signed } = await hmacSetup();
    const verifier = new RequestVerifier({ store, now: () => NOW, replayCache: new MemoryReplayCache({ maxEntries: 1 }) });
    expect((await verifier.verifyRest({ credentials: signed(NOW, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).ok).toBe(true);
    expect(await verifier.verifyRest({ credentials: signed(NOW + 1, 'GET', PATH, ''), method: 'GET', pathWithQuery: PATH, ip: '127.0.0.1' })).toEqual({ ok: false, code: 'AUTH_UNAVAILABLE' });
  });
});
