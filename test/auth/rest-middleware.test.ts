/** The express adapters over real HTTP (supertest): headers in, principal or problem out. */
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../server/src/errors/api-error.js';
import { authenticate } from '../../server/src/gateway/rest/middleware/auth.js';
import { rateLimit } from '../../server/src/gateway/rest/middleware/rate-limit.js';
import { RequestRateLimiter } from '../../server/src/limits/index.js';
import { clientCanonical, harness, hmacSign, HMAC_KEY } from './fixtures.js';

async function app() {
  const h = harness();
  h.clock.now = Date.now();
  const { record, secret } = await h.store.create(HMAC_KEY);
  // A key budget of 2 units; the limiter reads the harness clock, so nothing refills unless a test moves it.
  const limiters = {
    requests: new RequestRateLimiter({
      policies: [
        { name: 'key', scope: 'key', quota: 2, windowSeconds: 1, description: '' },
        { name: 'ip', scope: 'ip', quota: 300, windowSeconds: 1, description: '' },
      ],
      weights: { placeOrder: 2 },
      now: () => h.clock.now,
    }),
  };
  const server = express();
  server.use(express.json({ type: () => true, verify: (req, _res, buf) => { (req as typeof req & { rawBody?: Buffer }).rawBody = buf; } }));
  server.post('/v1/orders', authenticate(h.verifier, 'trade'), rateLimit(limiters, 'placeOrder'), (_req, res) => {
    res.status(201).json({ principal: res.locals.principal });
  });
  server.get('/v1/balances', authenticate(h.verifier, 'operator'), (_req, res) => res.json({}));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (!(err instanceof ApiError)) return res.status(500).json({ message: String(err) });
    for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
    res.status(err.status).json({ code: err.code, detail: err.detail, ...err.extra });
  };
  server.use(onError);
  const sign = (method: string, path: string, body: string) => {
    const ts = String(h.clock.now);
    return { 'X-API-Key': record.keyId, 'X-API-Timestamp': ts, 'X-API-Signature': hmacSign(secret!, clientCanonical(ts, method, path, body)) };
  };
  return { server, sign, keyId: record.keyId, clock: h.clock };
}

describe('REST middleware', () => {
  const body = '{"symbol":"BTC-USD","side":"buy"}';

  it('authenticates over the raw body bytes and sets the principal and RateLimit header fields', async () => {
    const { server, sign, keyId } = await app();
    const res = await request(server).post('/v1/orders?x=1').set(sign('POST', '/v1/orders?x=1', body)).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(201);
    expect(res.body.principal).toEqual({ keyId, accountId: 'acc-1', scopes: ['read', 'trade'] });
    expect(res.headers['ratelimit-policy']).toBe('"key";q=2;w=1, "ip";q=300;w=1');
    expect(res.headers['ratelimit']).toBe('"key";r=0;t=1, "ip";r=298;t=1');
  });

  it('signs the bytes as sent, not a re-serialisation of the parsed JSON', async () => {
    const { server, sign } = await app();
    const spaced = '{ "symbol": "BTC-USD",  "side": "buy" }';
    const res = await request(server).post('/v1/orders').set(sign('POST', '/v1/orders', spaced)).set('Content-Type', 'application/json').send(spaced);
    expect(res.status).toBe(201);
  });

  it('answers 401 AUTH_MISSING without headers and 401 AUTH_INVALID for a tampered query', async () => {
    const { server, sign } = await app();
    const missing = await request(server).post('/v1/orders').set('Content-Type', 'application/json').send(body);
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe('AUTH_MISSING');
    expect(missing.headers['www-authenticate']).toBeDefined();
    const tampered = await request(server).post('/v1/orders?x=2').set(sign('POST', '/v1/orders?x=1', body)).set('Content-Type', 'application/json').send(body);
    expect(tampered.status).toBe(401);
    expect(tampered.body.code).toBe('AUTH_INVALID');
  });

  it('answers 403 AUTH_SCOPE_MISSING when the key lacks the scope', async () => {
    const { server, sign } = await app();
    const res = await request(server).get('/v1/balances').set(sign('GET', '/v1/balances', ''));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('AUTH_SCOPE_MISSING');
  });

  it('answers 429 RATE_LIMITED with Retry-After when the key budget is spent, and admits again once it refills', async () => {
    const { server, sign, clock } = await app();
    expect((await request(server).post('/v1/orders').set(sign('POST', '/v1/orders', body)).set('Content-Type', 'application/json').send(body)).status).toBe(201);
    clock.now += 1;
    const res = await request(server).post('/v1/orders').set(sign('POST', '/v1/orders', body)).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['ratelimit']).toContain('"key";r=0');
    expect(res.body.limits.map((l: { policy: string }) => l.policy)).toEqual(['key', 'ip']);
    clock.now += 1000;
    expect((await request(server).post('/v1/orders').set(sign('POST', '/v1/orders', body)).set('Content-Type', 'application/json').send(body)).status).toBe(201);
  });
});
