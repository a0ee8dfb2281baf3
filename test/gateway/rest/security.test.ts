import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch, signedHeaders, type HmacCredentials } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';

// Attack cases against the signed-request scheme, the limits and input hardening.
let svc: TestService;
let trader: HmacCredentials & { accountId: string };
const order = { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' };

/** The service's clock: real time, unless a test stops it or moves it on. */
const clock = { stoppedAt: undefined as number | undefined, skewMs: 0 };
const now = () => clock.stoppedAt ?? Date.now() + clock.skewMs;

beforeAll(async () => {
  svc = await startTestService({ clock: now, config: { limits: { keyWeightPerSecond: 30, ipWeightPerSecond: 100_000, ordersPerSecond: 1_000, ordersPer10Seconds: 10_000 } } });
  trader = await svc.createTrader('trader');
});
afterAll(async () => {
  await svc.stop();
});

async function send(path: string, method: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(svc.baseUrl + path, { method, headers, ...(body !== undefined && { body }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('signatures', () => {
  it('rejects a replayed request', async () => {
    const headers = signedHeaders(trader, 'GET', '/v1/balances', '');
    expect((await send('/v1/balances', 'GET', headers)).status).toBe(200);
    const replay = await send('/v1/balances', 'GET', headers);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('AUTH_REPLAYED');
  });

  it('treats an X-API-Key sent twice as missing (AUTH_MISSING), even with the same value twice', async () => {
    const headers = signedHeaders(trader, 'GET', '/v1/balances', '') as Record<string, string>;
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    // Raw bytes on a socket: an HTTP client would fold the two values into one header line.
    const socket = connect(svc.httpPort, '127.0.0.1');
    socket.write(`GET /v1/balances HTTP/1.1\r\nHost: localhost\r\n${lines}X-API-Key: ${trader.keyId}\r\nConnection: close\r\n\r\n`);
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString('latin1');
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')).code).toBe('AUTH_MISSING');
  });

  it('rejects stale and future timestamps, and honours a narrowed window', async () => {
    for (const skew of [-6_000, 6_000]) {
      const r = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/balances', { timestamp: Date.now() + skew });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('AUTH_TIMESTAMP_OUT_OF_WINDOW');
    }
    const narrowed = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/balances', { timestamp: Date.now() - 2_000, window: 1_000 });
    expect(narrowed.body.code).toBe('AUTH_TIMESTAMP_OUT_OF_WINDOW');
    const widened = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/balances', { timestamp: Date.now() - 7_000, headers: { 'X-API-Window': '60000' } });
    // The contract caps X-API-Window at 5000, so an attempt to widen it is refused outright.
    expect(widened.status).toBe(400);
    expect(widened.body.errors[0]).toMatchObject({ location: 'header', path: 'x-api-window' });
  });

  it('rejects a tampered body, path or query', async () => {
    const body = JSON.stringify(order);
    const signed = signedHeaders(trader, 'POST', '/v1/orders', body);
    const tamperedBody = await send('/v1/orders', 'POST', signed, JSON.stringify({ ...order, quantity: '1' }));
    expect(tamperedBody.body.code).toBe('AUTH_INVALID');
    const forPath = signedHeaders(trader, 'GET', '/v1/balances', '');
    expect((await send('/v1/positions', 'GET', forPath)).body.code).toBe('AUTH_INVALID');
    const forQuery = signedHeaders(trader, 'GET', '/v1/orders?symbol=BTC-USD', '');
    expect((await send('/v1/orders?symbol=ETH-USD', 'GET', forQuery)).body.code).toBe('AUTH_INVALID');
  });

  it('gives an unknown key and a bad signature the same answer', async () => {
    const unknown = await signedFetch(svc.baseUrl, { keyId: 'ak_doesnotexist0000000000', secret: trader.secret }, 'GET', '/v1/balances');
    const badSig = await signedFetch(svc.baseUrl, { keyId: trader.keyId, secret: Buffer.alloc(32, 7).toString('base64url') }, 'GET', '/v1/balances');
    expect(unknown.status).toBe(401);
    expect(badSig.status).toBe(401);
    expect(unknown.body.code).toBe('AUTH_INVALID');
    expect(badSig.body.code).toBe('AUTH_INVALID');
    expect(unknown.body.detail).toBe(badSig.body.detail);
  });

  it('rejects missing credentials', async () => {
    const r = await send('/v1/balances', 'GET', {});
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('AUTH_MISSING');
  });

  it('accepts Ed25519 keys: the server holds only the public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const created = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/api-keys', { body: { label: 'ed', scopes: ['read'], publicKey: pem } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBeUndefined();
    expect(created.body.key.kind).toBe('ed25519');
    const ed = { keyId: created.body.key.keyId, privateKey };
    expect((await signedFetch(svc.baseUrl, ed, 'GET', '/v1/balances')).status).toBe(200);
  });

  it('rejects an expired key like an unknown one', async () => {
    const key = await svc.asOperator('POST', '/v1/operator/accounts/trader/api-keys', { body: { label: 'short', scopes: ['read'], expiresAt: now() + 60_000 } });
    const creds = { keyId: key.body.key.keyId, secret: key.body.secret };
    expect((await signedFetch(svc.baseUrl, creds, 'GET', '/v1/balances')).status).toBe(200);
    clock.skewMs = 60_000;
    try {
      expect((await signedFetch(svc.baseUrl, creds, 'GET', '/v1/balances', { timestamp: now() })).body.code).toBe('AUTH_INVALID');
    } finally {
      clock.skewMs = 0;
    }
  });

  it('enforces the IP allowlist', async () => {
    const key = await svc.asOperator('POST', '/v1/operator/accounts/trader/api-keys', { body: { label: 'office', scopes: ['read'], ipAllowlist: ['203.0.113.0/24'] } });
    const r = await signedFetch(svc.baseUrl, { keyId: key.body.key.keyId, secret: key.body.secret }, 'GET', '/v1/balances');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('AUTH_IP_NOT_ALLOWED');
    const local = await svc.asOperator('POST', '/v1/operator/accounts/trader/api-keys', { body: { label: 'local', scopes: ['read'], ipAllowlist: ['127.0.0.1/32', '::1/128'] } });
    expect((await signedFetch(svc.baseUrl, { keyId: local.body.key.keyId, secret: local.body.secret }, 'GET', '/v1/balances')).status).toBe(200);
  });
});

describe('limits and lockout', () => {
  it('answers 429 with Retry-After, RateLimit fields and a problem once the key budget is spent', async () => {
    const key = await svc.asOperator('POST', '/v1/operator/accounts/trader/api-keys', { body: { label: 'busy', scopes: ['read'] } });
    const busy = { keyId: key.body.key.keyId, secret: key.body.secret };
    // getBalances weighs 2 against a bucket of 30 refilled at 30/s. The clock stands still, so
    // nothing refills: the 16th request is refused however slowly the requests run. Each is signed
    // at its own millisecond, so none is a replay of another.
    clock.stoppedAt = Date.now();
    const answers: Awaited<ReturnType<typeof signedFetch>>[] = [];
    try {
      for (let i = 0; i < 16; i++) answers.push(await signedFetch(svc.baseUrl, busy, 'GET', '/v1/balances', { timestamp: clock.stoppedAt - i }));
    } finally {
      clock.stoppedAt = undefined;
    }
    expect(answers.slice(0, 15).map((r) => r.status)).toEqual(Array(15).fill(200));
    expect(answers[0]!.headers.get('ratelimit-policy')).toContain('"key";q=30;w=1');
    const limited = answers[15];
    expect(limited!.body.code).toBe('RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Refused: no whole units left for the request's weight of 2.
    expect(limited!.headers.get('ratelimit')).toMatch(/"key";r=0;/);
  });

  it('locks out a key after repeated authentication failures, even for a correct signature', async () => {
    const key = await svc.asOperator('POST', '/v1/operator/accounts/trader/api-keys', { body: { label: 'target', scopes: ['read'] } });
    const target = { keyId: key.body.key.keyId, secret: key.body.secret };
    const wrong = { keyId: target.keyId, secret: Buffer.alloc(32, 1).toString('base64url') };
    let locked: Awaited<ReturnType<typeof signedFetch>> | undefined;
    for (let i = 0; i < 30 && !locked; i++) {
      const r = await signedFetch(svc.baseUrl, wrong, 'GET', '/v1/balances');
      if (r.body.code === 'AUTH_LOCKED_OUT') locked = r;
    }
    expect(locked?.status).toBe(429);
    expect(Number(locked!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const right = await signedFetch(svc.baseUrl, target, 'GET', '/v1/balances');
    expect(right.body.code).toBe('AUTH_LOCKED_OUT');
  });
});

describe('input hardening', () => {
  it('refuses an oversized body before reading it all', async () => {
    const huge = JSON.stringify({ ...order, clientOrderId: 'x', pad: 'y'.repeat(200_000) });
    const r = await send('/v1/orders', 'POST', { ...signedHeaders(trader, 'POST', '/v1/orders', huge) }, huge);
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses prototype-polluting keys and malformed JSON', async () => {
    const evil = '{"symbol":"BTC-USD","side":"buy","type":"limit","price":"100.00","quantity":"0.01","__proto__":{"admin":true}}';
    const r = await send('/v1/orders', 'POST', signedHeaders(trader, 'POST', '/v1/orders', evil), evil);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BODY_KEY_NOT_ALLOWED');
    expect(r.body.detail).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const nested = '{"symbol":"BTC-USD","x":{"constructor":{"prototype":1}}}';
    expect((await send('/v1/orders', 'POST', signedHeaders(trader, 'POST', '/v1/orders', nested), nested)).body.code).toBe('BODY_KEY_NOT_ALLOWED');
    const broken = '{"symbol":';
    const m = await send('/v1/orders', 'POST', signedHeaders(trader, 'POST', '/v1/orders', broken), broken);
    expect(m.status).toBe(400);
    expect(m.body.code).toBe('MALFORMED_JSON');
  });

  it('refuses any body that is not declared JSON with 415, whether or not it parses as JSON', async () => {
    const json = JSON.stringify({ ...order, clientOrderId: 'ct-1' });
    for (const [type, body] of [['text/plain', json], ['text/plain', 'not json'], ['application/x-www-form-urlencoded', 'a=1'], [undefined, json]] as const) {
      const headers: Record<string, string> = { ...signedHeaders(trader, 'POST', '/v1/orders', body) };
      if (type === undefined) delete headers['Content-Type'];
      else headers['Content-Type'] = type;
      const r = await send('/v1/orders', 'POST', headers, body);
      expect(r.status, `${type} ${body}`).toBe(415);
      expect(r.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    // JSON with a parameter, or a +json type, is JSON.
    const ok = await send('/v1/orders', 'POST', { ...signedHeaders(trader, 'POST', '/v1/orders', json), 'Content-Type': 'application/json; charset=utf-8' }, json);
    expect(ok.status).toBe(201);
  });

  it('keeps CORS off by default', async () => {
    const r = await fetch(`${svc.baseUrl}/v1/time`, { headers: { Origin: 'https://evil.test' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
