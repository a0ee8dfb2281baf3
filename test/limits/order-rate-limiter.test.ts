import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORDER_POLICIES, ORDER_RATE_OPERATIONS, OrderRateLimiter, RequestRateLimiter, mergeDecisions, rateLimitedError, type MeterReading, type RateLimitPolicy, type RateLimitUsage } from '../../server/src/limits/index.js';
import { ReferenceWindow } from './reference-window.js';

describe('order-rate limits per account', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(1_750_000_000_000); });
  afterEach(() => vi.useRealTimers());

  it('the published defaults are 10 orders per second and 50 per 10 seconds', () => {
    expect(ORDER_POLICIES.map((p) => [p.name, p.quota, p.windowSeconds])).toEqual([['orders-1s', 10, 1], ['orders-10s', 50, 10]]);
    expect([...ORDER_RATE_OPERATIONS].sort()).toEqual(['amendOrder', 'placeOrder']);
  });

  it('refuses the 11th order inside one second and admits it in the next', async () => {
    const limiter = new OrderRateLimiter();
    for (let i = 0; i < 10; i++) expect((await limiter.consume('acc-1')).allowed).toBe(true);
    const refused = await limiter.consume('acc-1');
    expect(refused).toMatchObject({ allowed: false, refusedBy: ['orders-1s'], retryAfterSeconds: 1 });
    expect(refused.headers).toEqual({
      'RateLimit-Policy': '"orders-1s";q=10;w=1, "orders-10s";q=50;w=10',
      'RateLimit': '"orders-1s";r=0;t=1, "orders-10s";r=40;t=10',
      'Retry-After': '1',
    });
    // Another account has its own budget.
    expect((await limiter.consume('acc-2')).allowed).toBe(true);
    vi.advanceTimersByTime(1000);
    expect((await limiter.consume('acc-1')).allowed).toBe(true);
  });

  it('the rolling 10-second budget refuses steady 10/s flow after 50 orders', async () => {
    const limiter = new OrderRateLimiter();
    let accepted = 0;
    let refusal;
    for (let second = 0; second < 10 && !refusal; second++) {
      for (let i = 0; i < 10; i++) {
        const d = await limiter.consume('acc-1');
        if (!d.allowed) { refusal = d; break; }
        accepted++;
      }
      vi.advanceTimersByTime(1000);
    }
    expect(accepted).toBe(50);
    expect(refusal?.refusedBy).toEqual(['orders-10s']);
    expect(refusal?.retryAfterSeconds).toBe(5);
  });

  it('merges with the request-weight decision into one set of header fields', async () => {
    const orders = new OrderRateLimiter({ policies: [{ name: 'orders-1s', scope: 'account', quota: 1, windowSeconds: 1, description: '' }] });
    const requests = new RequestRateLimiter();
    const caller = { ip: '127.0.0.1', keyId: 'k' };
    const first = mergeDecisions(await requests.consume('placeOrder', caller), await orders.consume('acc-1'));
    expect(first.allowed).toBe(true);
    expect(first.headers['RateLimit-Policy']).toBe('"key";q=100;w=1, "ip";q=300;w=1, "orders-1s";q=1;w=1');
    expect(first.headers['RateLimit']).toBe('"key";r=99;t=1, "ip";r=299;t=1, "orders-1s";r=0;t=1');
    const second = mergeDecisions(await requests.consume('placeOrder', caller), await orders.consume('acc-1'));
    expect(second).toMatchObject({ allowed: false, refusedBy: ['orders-1s'], retryAfterSeconds: 1 });
    expect(rateLimitedError(second).detail).toContain('orders-1s');
  });

  it('usage() gives limit, remaining and reset for the account-limits endpoint', async () => {
    const limiter = new OrderRateLimiter();
    await limiter.consume('acc-9', 3);
    expect(await limiter.usage('acc-9')).toEqual([
      { policy: 'orders-1s', limit: 10, remaining: 7, reset: 1, windowSeconds: 1 },
      { policy: 'orders-10s', limit: 50, remaining: 47, reset: 10, windowSeconds: 10 },
    ]);
  });
});

describe('order-rate limits, as a model of two windows', () => {
  it('admit only what both windows hold, spend nothing when refused, and report each window as the model does', async () => {
    const windowPolicy = (name: string) =>
      fc.record({ quota: fc.integer({ min: 1, max: 15 }), windowSeconds: fc.integer({ min: 1, max: 4 }), rollingBucketMs: fc.constantFrom(100, 250, 500, 1000) })
        .map((shape) => ({ name, kind: 'rolling-window' as const, scope: 'account' as const, description: '', ...shape }));
    await fc.assert(
      fc.asyncProperty(
        windowPolicy('short'),
        windowPolicy('long'),
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 600 }), orders: fc.integer({ min: 1, max: 3 }) }), { maxLength: 60 }),
        async (short, long, steps) => {
          const policies = [short, long];
          const clock = { now: 1_750_000_000_000 };
          const limiter = new OrderRateLimiter({ policies, now: () => clock.now });
          const models = policies.map((p) => new ReferenceWindow(p.quota, p.windowSeconds * 1000, p.rollingBucketMs));
          for (const step of steps) {
            clock.now += step.advance;
            const orders = Math.min(step.orders, short.quota, long.quota);
            const readings = models.map((m) => m.consume(orders, clock.now));
            const allowed = readings.every((r) => r.fits);
            // Refused: the windows that had room give the orders back and report themselves as they are then.
            const reported = readings.map((r, i) => (allowed || !r.fits ? r : (models[i]!.refund(orders), models[i]!.peek(clock.now))));
            const usage = policies.map((p, i) => usageOf(p, reported[i]!));
            const refusing = readings.flatMap((r, i) => (r.fits ? [] : [{ name: policies[i]!.name, seconds: Math.max(1, Math.ceil(r.msBeforeNext / 1000)) }]));
            const decision = await limiter.consume('acc', orders);
            expect(decision).toMatchObject({ allowed, usage, refusedBy: refusing.map((r) => r.name) });
            expect(decision.retryAfterSeconds).toBe(allowed ? undefined : Math.max(...refusing.map((r) => r.seconds)));
            expect(await limiter.usage('acc')).toEqual(policies.map((p, i) => usageOf(p, models[i]!.peek(clock.now))));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** What a limiter reports for a window the model read. */
function usageOf(p: RateLimitPolicy, reading: MeterReading): RateLimitUsage {
  return { policy: p.name, limit: p.quota, remaining: p.quota - reading.consumed, reset: Math.ceil(reading.msBeforeNext / 1000), windowSeconds: p.windowSeconds };
}
