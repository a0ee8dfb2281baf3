import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OPERATION_WEIGHTS, REQUEST_POLICIES, RequestRateLimiter, rateLimitedError } from '../../server/src/limits/index.js';

const policies = [
  { name: 'key', scope: 'key', quota: 10, windowSeconds: 1, description: '' },
  { name: 'ip', scope: 'ip', quota: 25, windowSeconds: 5, description: '' },
] as const;
const weights = { light: 1, heavy: 4 };

describe('request-weight limits', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(1_750_000_000_000); });
  afterEach(() => vi.useRealTimers());

  it('spends each operation its weight and reports it in RateLimit header fields', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.1', keyId: 'k1' };
    const first = await limiter.consume('heavy', caller);
    expect(first.allowed).toBe(true);
    expect(first.headers['RateLimit-Policy']).toBe('"key";q=10;w=1, "ip";q=25;w=5');
    expect(first.headers['RateLimit']).toBe('"key";r=6;t=1, "ip";r=21;t=5');
    expect(first.headers['Retry-After']).toBeUndefined();
    const second = await limiter.consume('light', caller);
    expect(second.usage.map((u) => u.remaining)).toEqual([5, 20]);
  });

  it('an unknown operation weighs 1 and an unauthenticated caller is limited by IP only', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const d = await limiter.consume('notInTable', { ip: '10.0.0.2' });
    expect(d.usage).toEqual([{ policy: 'ip', limit: 25, remaining: 24, reset: 5, windowSeconds: 5 }]);
    expect(d.headers['RateLimit-Policy']).toBe('"ip";q=25;w=5');
  });

  it('refuses a request that does not fit, with Retry-After, and charges it nothing', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.3', keyId: 'k3' };
    await limiter.consume('heavy', caller);
    await limiter.consume('heavy', caller); // key: 2 left
    vi.advanceTimersByTime(400);
    const refused = await limiter.consume('heavy', caller);
    expect(refused.allowed).toBe(false);
    expect(refused.refusedBy).toEqual(['key']);
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.headers['Retry-After']).toBe('1');
    expect(refused.headers['RateLimit']).toBe('"key";r=2;t=1, "ip";r=17;t=5');
    // The refused request spent nothing: two light requests still fit.
    expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
    const error = rateLimitedError(refused);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '1' }, extra: { retryAfterSeconds: 1 } });
  });

  it('refills when the window passes', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.4', keyId: 'k4' };
    for (let i = 0; i < 10; i++) expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
    vi.advanceTimersByTime(1001);
    const after = await limiter.consume('light', caller);
    expect(after.allowed).toBe(true);
    expect(after.usage[0]).toMatchObject({ policy: 'key', remaining: 9 });
  });

  it('the IP policy is shared by every key from that address', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    for (let i = 0; i < 6; i++) expect((await limiter.consume('heavy', { ip: '10.0.0.5', keyId: `k${i}` })).allowed).toBe(true);
    const refused = await limiter.consume('heavy', { ip: '10.0.0.5', keyId: 'fresh' }); // 24 spent, 4 more exceed 25
    expect(refused.allowed).toBe(false);
    expect(refused.refusedBy).toEqual(['ip']);
    expect(refused.retryAfterSeconds).toBe(5);
  });

  it('usage() reports without spending', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.6', keyId: 'k6' };
    expect(await limiter.usage(caller)).toEqual([
      { policy: 'key', limit: 10, remaining: 10, reset: 0, windowSeconds: 1 },
      { policy: 'ip', limit: 25, remaining: 25, reset: 0, windowSeconds: 5 },
    ]);
    await limiter.consume('heavy', caller);
    expect((await limiter.usage(caller)).map((u) => u.remaining)).toEqual([6, 21]);
    expect((await limiter.usage(caller)).map((u) => u.remaining)).toEqual([6, 21]);
  });

  it('refuses a weight table whose weight could never fit a policy', () => {
    expect(() => new RequestRateLimiter({ policies, weights: { huge: 11 } })).toThrow(/huge/);
    expect(() => new RequestRateLimiter({ policies, weights: { zero: 0 } })).toThrow(/zero/);
  });

  it('the published default weights fit the published default policies', () => {
    const limiter = new RequestRateLimiter();
    for (const [op, w] of Object.entries(OPERATION_WEIGHTS)) expect(limiter.weightOf(op)).toBe(w);
    expect(Math.max(...Object.values(OPERATION_WEIGHTS))).toBeLessThanOrEqual(Math.min(...REQUEST_POLICIES.map((p) => p.quota)));
  });
});
