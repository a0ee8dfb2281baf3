/**
 * Problem bodies that say how to fix the request: the figures of INSUFFICIENT_FUNDS and
 * PRICE_OUTSIDE_BAND, the server time on AUTH_TIMESTAMP_OUT_OF_WINDOW, the server's canonical
 * string on AUTH_INVALID (demo mode only), and a `type` that leads to the served error guide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalString, signedFetch, signedHeaders } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';

let demo: TestService;
let production: TestService;

beforeAll(async () => {
  [demo, production] = await Promise.all([startTestService(), startTestService({ config: { mode: 'production', secretsKey: 'b'.repeat(64) } })]);
});
afterAll(async () => {
  await Promise.all([demo?.stop(), production?.stop()]);
});

describe('order rejections carry their figures', () => {
  it('INSUFFICIENT_FUNDS names the asset, the amount required and the amount available', async () => {
    const poor = await demo.createTrader('poor', { USD: '150' });
    const res = await signedFetch(demo.baseUrl, poor, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '20000.00', quantity: '0.01' } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'INSUFFICIENT_FUNDS', asset: 'USD', required: '200', available: '150' });
    expect(res.body.detail).toBe('insufficient available USD: 200 required, 150 available');
  });

  it('PRICE_OUTSIDE_BAND gives the reference price and the allowed range, and a price at the range\'s edge is accepted', async () => {
    const maker = await demo.createTrader('band-maker');
    const taker = await demo.createTrader('band-taker');
    // One trade at 30000 sets the reference price (band 1000 bps: 27000 to 33000).
    expect((await signedFetch(demo.baseUrl, maker, 'POST', '/v1/orders', { body: { symbol: 'ETH-USD', side: 'sell', type: 'limit', price: '30000.00', quantity: '0.01' } })).status).toBe(201);
    expect((await signedFetch(demo.baseUrl, taker, 'POST', '/v1/orders', { body: { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '30000.00', quantity: '0.01', timeInForce: 'IOC' } })).body.order.status).toBe('filled');
    const res = await signedFetch(demo.baseUrl, taker, 'POST', '/v1/orders', { body: { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: '20000.00', quantity: '0.01' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'PRICE_OUTSIDE_BAND', referencePrice: '30000', minPrice: '27000', maxPrice: '33000' });
    expect(res.body.detail).toContain('reference price 30000: allowed 27000 to 33000');
    const atEdge = await signedFetch(demo.baseUrl, taker, 'POST', '/v1/orders', { body: { symbol: 'ETH-USD', side: 'buy', type: 'limit', price: res.body.minPrice, quantity: '0.01' } });
    expect(atEdge.status).toBe(201);
  });
});

describe('authentication problems say what the server saw', () => {
  it('AUTH_TIMESTAMP_OUT_OF_WINDOW carries the server time', async () => {
    const trader = await demo.createTrader('late');
    const before = Date.now();
    const res = await signedFetch(demo.baseUrl, trader, 'GET', '/v1/balances', { timestamp: before - 60_000 });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH_TIMESTAMP_OUT_OF_WINDOW');
    expect(res.body.serverTime).toBeGreaterThanOrEqual(before);
    expect(res.body.serverTime).toBeLessThanOrEqual(Date.now());
  });

  it('AUTH_INVALID shows the canonical string the server computed in demo mode, and never in production', async () => {
    const path = '/v1/orders?symbol=BTC-USD';
    for (const svc of [demo, production]) {
      const trader = await svc.createTrader('wrong-secret');
      const timestamp = Date.now();
      const headers = signedHeaders({ keyId: trader.keyId, secret: Buffer.alloc(32, 7).toString('base64url') }, 'GET', path, '', { timestamp });
      const res = await fetch(svc.baseUrl + path, { headers });
      const body = (await res.json()) as { code: string; canonicalString?: string };
      expect(body.code).toBe('AUTH_INVALID');
      if (svc === demo) expect(body.canonicalString).toBe(canonicalString(timestamp, 'GET', path, ''));
      else expect(body).not.toHaveProperty('canonicalString');
    }
  });
});

describe('the problem type', () => {
  it('is the served error guide\'s entry for the code, on the host that answered, and that page has the anchor', async () => {
    const res = await fetch(`${demo.baseUrl}/v1/orders/42`);
    const body = (await res.json()) as { type: string; code: string };
    expect(body.type).toBe(`${demo.baseUrl}/docs/guides/errors#${body.code}`);
    const guide = await fetch(body.type.split('#')[0]!);
    expect(guide.status).toBe(200);
    expect(await guide.text()).toContain(`id="${body.code}"`);
  });
});
