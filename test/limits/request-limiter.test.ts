import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OPERATION_WEIGHTS, REQUEST_POLICIES, RequestRateLimiter, rateLimitedError } from '../../server/src/limits/index.js';

/** key: 10 units, one back every 100 ms; ip: 25 units, one back every 200 ms. */
const policies = [
  { name: 'key', kind: 'token-bucket', scope: 'key', quota: 10, windowSeconds: 1, description: '' },
  { name: 'ip', kind: 'token-bucket', scope: 'ip', quota: 25, windowSeconds: 5, description: '' },
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
    // t: the key bucket is full again in 400 ms, the IP bucket in 800 ms (both round up to 1 s).
    expect(first.headers['RateLimit']).toBe('"key";r=6;t=1, "ip";r=21;t=1');
    expect(first.headers['Retry-After']).toBeUndefined();
    const second = await limiter.consume('light', caller);
    expect(second.usage.map((u) => u.remaining)).toEqual([5, 20]);
    for (let i = 0; i < 3; i++) await limiter.consume('heavy', { ip: '10.0.0.1', keyId: `other-${i}` });
    // 17 spent from the IP bucket: 3.4 s until it is full.
    expect((await limiter.usage({ ip: '10.0.0.1' }))[0]).toEqual({ policy: 'ip', limit: 25, remaining: 8, reset: 4, windowSeconds: 5 });
  });

  it('an unknown operation weighs 1 and an unauthenticated caller is limited by IP only', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const d = await limiter.consume('notInTable', { ip: '10.0.0.2' });
    expect(d.usage).toEqual([{ policy: 'ip', limit: 25, remaining: 24, reset: 1, windowSeconds: 5 }]);
    expect(d.headers['RateLimit-Policy']).toBe('"ip";q=25;w=5');
  });

  it('refuses a request that does not fit, with Retry-After, and charges it nothing', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.3', keyId: 'k3' };
    await limiter.consume('heavy', caller);
    await limiter.consume('heavy', caller); // key: 2 left
    const refused = await limiter.consume('heavy', caller);
    expect(refused.allowed).toBe(false);
    expect(refused.refusedBy).toEqual(['key']);
    expect(refused.retryAfterSeconds).toBe(1); // 2 more units take 200 ms
    expect(refused.headers['Retry-After']).toBe('1');
    // The IP bucket is reported as it is after the request's units went back: 8 spent, 1.6 s to full.
    expect(refused.headers['RateLimit']).toBe('"key";r=2;t=1, "ip";r=17;t=2');
    // The refused request spent nothing: two light requests still fit.
    expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
    const error = rateLimitedError(refused);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '1' }, extra: { retryAfterSeconds: 1 } });
  });

  it('refills continuously: a burst of the quota, then the refill rate', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    const caller = { ip: '10.0.0.4', keyId: 'k4' };
    for (let i = 0; i < 10; i++) expect((await limiter.consume('light', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
    vi.advanceTimersByTime(99);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
    vi.advanceTimersByTime(1);
    const after = await limiter.consume('light', caller);
    expect(after.allowed).toBe(true);
    expect(after.usage[0]).toMatchObject({ policy: 'key', remaining: 0, reset: 1 });
    vi.advanceTimersByTime(400);
    expect((await limiter.consume('heavy', caller)).allowed).toBe(true);
    expect((await limiter.consume('light', caller)).allowed).toBe(false);
  });

  it('the IP policy is shared by every key from that address', async () => {
    const limiter = new RequestRateLimiter({ policies, weights });
    for (let i = 0; i < 6; i++) expect((await limiter.consume('heavy', { ip: '10.0.0.5', keyId: `k${i}` })).allowed).toBe(true);
    const refused = await limiter.consume('heavy', { ip: '10.0.0.5', keyId: 'fresh' }); // 24 spent, 4 more exceed 25
    expect(refused.allowed).toBe(false);
    expect(refused.refusedBy).toEqual(['ip']);
    // 1 unit left; 3 more take 600 ms.
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.headers['RateLimit']).toBe('"key";r=10;t=0, "ip";r=1;t=5');
    vi.advanceTimersByTime(599);
    expect((await limiter.consume('heavy', { ip: '10.0.0.5', keyId: 'fresh' })).allowed).toBe(false);
    vi.advanceTimersByTime(1);
    expect((await limiter.consume('heavy', { ip: '10.0.0.5', keyId: 'fresh' })).allowed).toBe(true);
  });

  it('Retry-After is the whole seconds, rounded up, until the weight fits', async () => {
    const slow = [{ name: 'key', kind: 'token-bucket', scope: 'key', quota: 4, windowSeconds: 10, description: '' }] as const;
    const limiter = new RequestRateLimiter({ policies: slow, weights });
    const caller = { ip: '10.0.0.7', keyId: 'k7' };
    expect((await limiter.consume('heavy', caller)).headers['RateLimit']).toBe('"key";r=0;t=10');
    vi.advanceTimersByTime(2_600); // 1.04 units back
    const refused = await limiter.consume('heavy', caller);
    expect(refused.retryAfterSeconds).toBe(8); // 2.96 more units at 2.5 s each: 7.4 s
    expect(refused.headers).toMatchObject({ 'Retry-After': '8', 'RateLimit': '"key";r=1;t=8' });
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
    vi.advanceTimersByTime(150); // key: 1.5 units back; ip: 0.75
    expect((await limiter.usage(caller)).map((u) => u.remaining)).toEqual([7, 21]);
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
