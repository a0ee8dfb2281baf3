import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS } from '../../../server/src/config/defaults.js';
import { startTestService, type TestService } from '../../helpers/service.js';

let svc: TestService;
const FIXED_NOW = 1_764_000_000_123;

beforeAll(async () => {
  svc = await startTestService({ clock: () => FIXED_NOW });
});
afterAll(async () => {
  await svc.stop();
});

describe('GET /v1/time', () => {
  it('returns the service clock as milliseconds and ISO 8601', async () => {
    const res = await request(svc.baseUrl).get('/v1/time').expect(200);
    expect(res.body).toEqual({ serverTime: FIXED_NOW, iso: new Date(FIXED_NOW).toISOString() });
  });
});

describe('GET /v1/instruments', () => {
  it('lists the configured instruments with their trading rules, ordered by symbol', async () => {
    const res = await request(svc.baseUrl).get('/v1/instruments').expect(200);
    const symbols = DEFAULT_INSTRUMENTS.map((i) => i.symbol).sort();
    expect(res.body.data.map((i: { symbol: string }) => i.symbol)).toEqual(symbols);
    const btc = res.body.data.find((i: { symbol: string }) => i.symbol === 'BTC-USD');
    expect(btc).toEqual({ symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '0.01', lotSize: '0.00001', minQuantity: '0.00001', maxQuantity: '1000', minNotional: '1', priceBandBps: 1000, status: 'open' });
    expect(res.body.nextCursor).toBeNull();
  });

  it('pages with an opaque cursor until nextCursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(svc.baseUrl).get('/v1/instruments').query({ limit: 1, ...(cursor && { cursor }) }).expect(200);
      expect(res.body.data).toHaveLength(1);
      seen.push(res.body.data[0].symbol);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(DEFAULT_INSTRUMENTS.map((i) => i.symbol).sort());
  });

  it('rejects an out-of-range limit with a problem naming the parameter', async () => {
    const res = await request(svc.baseUrl).get('/v1/instruments?limit=501').expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/v1/instruments', errors: [{ location: 'query', path: 'limit' }] });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('rejects a cursor it did not issue', async () => {
    const res = await request(svc.baseUrl).get('/v1/instruments?cursor=bm90LWEtY3Vyc29y').expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ location: 'query', path: 'cursor' }] });
  });

  it('rejects unknown query parameters', async () => {
    const res = await request(svc.baseUrl).get('/v1/instruments?colour=blue').expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('request context and errors', () => {
  it('echoes a well-formed client request id and replaces a malformed one', async () => {
    const echoed = await request(svc.baseUrl).get('/v1/time').set('X-Request-Id', 'client-abc.1').expect(200);
    expect(echoed.headers['x-request-id']).toBe('client-abc.1');
    const replaced = await request(svc.baseUrl).get('/v1/time').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a NOT_FOUND problem', async () => {
    const res = await request(svc.baseUrl).get('/v1/does-not-exist').expect(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', status: 404, type: expect.stringMatching(/#NOT_FOUND$/) });
  });

  it('answers a wrong method with METHOD_NOT_ALLOWED', async () => {
    const res = await request(svc.baseUrl).delete('/v1/time').expect(405);
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('sets security headers and no framework fingerprint', async () => {
    const res = await request(svc.baseUrl).get('/v1/time').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('marks every API response, errors included, as not to be cached, framed or sniffed', async () => {
    for (const res of [await request(svc.baseUrl).get('/v1/time'), await request(svc.baseUrl).get('/v1/balances'), await request(svc.baseUrl).get('/v1/nowhere')]) {
      expect([200, 401, 404]).toContain(res.status);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // HTML pages keep the fuller browser set.
    const page = await request(svc.baseUrl).get('/docs').expect(200);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).not.toBe('no-store');
  });
});

describe('service routes', () => {
  it('reports liveness and readiness', async () => {
    expect((await request(svc.baseUrl).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    expect((await request(svc.baseUrl).get('/health/ready').expect(200)).body.status).toBe('ready');
  });

  it('counts requests by operationId and status in /metrics', async () => {
    await request(svc.baseUrl).get('/v1/time').expect(200);
    const res = await request(svc.baseUrl).get('/metrics').expect(200);
    expect(res.text).toMatch(/http_requests_total\{operation="getServerTime",method="GET",status="200"\} [1-9]/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",operation="getServerTime"/);
  });

  it('serves the bundled contract as JSON and YAML, and the reference at /docs', async () => {
    const json = await request(svc.baseUrl).get('/openapi.json').expect(200);
    expect(json.body.openapi).toBe('3.1.0');
    expect(Object.keys(json.body.paths)).toContain('/v1/instruments');
    const yaml = await request(svc.baseUrl).get('/openapi.yaml').expect(200);
    expect(yaml.text).toMatch(/^openapi: 3\.1\.0/m);
    const docs = await request(svc.baseUrl).get('/docs').expect(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect(docs.text).toContain('listInstruments');
    expect(docs.text).not.toMatch(/<script[^>]+src="https?:/);
  });
});
