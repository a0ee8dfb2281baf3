/** Demo self-service accounts: funded, with a working key, bounded per client IP, demo mode only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoSignupLimiter } from '../../server/src/demo/self-service.js';
import { ApiError } from '../../server/src/errors/api-error.js';
import { signedFetch } from '../helpers/signing.js';
import { startTestService, type TestService } from '../helpers/service.js';

describe('DemoSignupLimiter', () => {
  it('allows perIp creations per window for each address, then refuses with the wait until the oldest expires', () => {
    let now = 1_000_000;
    const limiter = new DemoSignupLimiter({ perIp: 2, windowMs: 60_000 }, () => now);
    limiter.take('10.0.0.1');
    now += 10_000;
    limiter.take('10.0.0.1');
    limiter.take('10.0.0.2'); // another address has its own allowance
    let refused: unknown;
    try {
      limiter.take('10.0.0.1');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe('RATE_LIMITED');
    expect((refused as ApiError).headers?.['Retry-After']).toBe('50');
    expect((refused as ApiError).extra?.retryAfterSeconds).toBe(50);
    now += 50_000; // the first creation has left the window
    expect(() => limiter.take('10.0.0.1')).not.toThrow();
    expect(() => limiter.take('10.0.0.1')).toThrow(ApiError);
  });
});

describe('POST /v1/demo/accounts on a demo market', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ demoSignupPolicy: { perIp: 2, windowMs: 3_600_000 } });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('creates a funded account of its own whose key can trade at once', async () => {
    const res = await fetch(`${svc.baseUrl}/v1/demo/accounts`, { method: 'POST' });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { accountId: string; keyId: string; secret: string; scopes: string[]; balances: { asset: string; amount: string }[] };
    expect(created.accountId).toMatch(/^demo-[0-9a-f]{8}$/);
    expect(created.keyId).toMatch(/^ak_[A-Za-z0-9_-]{22}$/);
    expect(created.scopes).toEqual(['read', 'trade']);
    const balances = await signedFetch(svc.baseUrl, created, 'GET', '/v1/balances');
    expect(balances.status).toBe(200);
    const totals = Object.fromEntries((balances.body.data as { asset: string; total: string }[]).map((b) => [b.asset, b.total]));
    expect(totals).toEqual(Object.fromEntries(created.balances.map((b) => [b.asset, b.amount])));
    expect(totals.USD).toBe('100000');
    const order = await signedFetch(svc.baseUrl, created, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.02' } });
    expect(order.status).toBe(201);
    expect(svc.bus.core.account(created.accountId)).toBeDefined();
  });

  it('gives each call a different account, and refuses the address beyond its allowance with 429 and Retry-After', async () => {
    const second = await fetch(`${svc.baseUrl}/v1/demo/accounts`, { method: 'POST' });
    expect(second.status).toBe(201);
    const third = await fetch(`${svc.baseUrl}/v1/demo/accounts`, { method: 'POST' });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await third.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });
});

describe('POST /v1/demo/accounts in production mode', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ config: { mode: 'production', secretsKey: 'a'.repeat(64) } });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('does not exist', async () => {
    const res = await fetch(`${svc.baseUrl}/v1/demo/accounts`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    const status = (await (await fetch(`${svc.baseUrl}/v1/status`)).json()) as { mode: string };
    expect(status.mode).toBe('production');
  });
});
