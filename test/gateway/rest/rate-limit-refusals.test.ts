/**
 * Refused requests are not free: a request that fails before its operation runs (bad JSON, a failed
 * contract check, a bad signature, an unknown route) still spends from the client IP's budget, and
 * its response carries the RateLimit fields like every other /v1 response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../server/src/config/schema.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { signedFetch } from '../../helpers/signing.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const IP_QUOTA = 40;
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ config: { limits: { ...DEFAULT_CONFIG.limits, ipWeightPerSecond: IP_QUOTA } } });
});
afterAll(() => svc.stop());

function remainingIp(header: string | null): number {
  const match = /"ip";r=(\d+)/.exec(header ?? '');
  if (!match) throw new Error(`no ip member in RateLimit: ${header}`);
  return Number(match[1]);
}

describe('refused requests and the IP budget', () => {
  const failures: [string, () => Promise<Response>, number, string][] = [
    ['a bad signature', () => fetch(`${svc.baseUrl}/v1/balances`, { headers: { 'X-API-Key': 'k-unknown', 'X-API-Timestamp': String(Date.now()), 'X-API-Signature': 'AAAA' } }), 401, 'AUTH_INVALID'],
    ['a failed contract check', () => fetch(`${svc.baseUrl}/v1/instruments/BTC-USD/book?depth=lots`), 400, 'VALIDATION_FAILED'],
    ['malformed JSON', () => fetch(`${svc.baseUrl}/v1/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"symbol":' }), 400, 'MALFORMED_JSON'],
    ['an unknown route', () => fetch(`${svc.baseUrl}/v1/no-such-thing`), 404, 'NOT_FOUND'],
  ];

  it.each(failures)('%s answers with RateLimit and RateLimit-Policy fields and spends from the IP budget', async (_name, send, status, code) => {
    const first = await send();
    expect(first.status).toBe(status);
    expect(((await first.json()) as { code: string }).code).toBe(code);
    expect(first.headers.get('ratelimit-policy')).toContain(`"ip";q=${IP_QUOTA};w=1`);
    const second = await send();
    expect(second.status).toBe(status);
    // The second failure found less left (or the same, if a token came back in between).
    expect(remainingIp(second.headers.get('ratelimit'))).toBeLessThanOrEqual(remainingIp(first.headers.get('ratelimit')));
    expect(remainingIp(first.headers.get('ratelimit'))).toBeLessThan(IP_QUOTA);
  });

  it('refuses a flood of invalid requests with 429 once the IP budget is spent', async () => {
    // The budget's clock stands still, so however slowly a busy machine serves the flood, no token
    // comes back during it: the refusal comes right after the quota.
    const frozen = new ManualClock(Date.now());
    const own = await startTestService({ clock: () => frozen.now(), timers: frozen, config: { limits: { ...DEFAULT_CONFIG.limits, ipWeightPerSecond: IP_QUOTA } } });
    try {
      let limited: Response | undefined;
      let served = 0;
      for (let i = 0; i < IP_QUOTA * 3 && !limited; i++) {
        const r = await fetch(`${own.baseUrl}/v1/instruments/BTC-USD/book?depth=lots`);
        if (r.status === 429) limited = r;
        else {
          expect(r.status).toBe(400);
          served++;
        }
      }
      expect(served).toBe(IP_QUOTA);
      expect(limited).toBeDefined();
      const body = (await limited!.json()) as { code: string; retryAfterSeconds: number };
      expect(body.code).toBe('RATE_LIMITED');
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited!.headers.get('ratelimit')).toMatch(/"ip";r=0/);
    } finally {
      await own.stop();
    }
  });
});

describe('a request its own limit refused', () => {
  it('is charged once: refusals by the key budget do not drain the IP budget', async () => {
    const ipQuota = 200;
    const own = await startTestService({ config: { limits: { ...DEFAULT_CONFIG.limits, keyWeightPerSecond: 20, ipWeightPerSecond: ipQuota } } });
    try {
      const trader = await own.createTrader('hammer');
      let refused = 0;
      let last: Awaited<ReturnType<typeof signedFetch>> | undefined;
      // listOrders weighs 10: the key budget of 20 admits two, then refuses.
      for (let i = 0; i < 12; i++) {
        last = await signedFetch(own.baseUrl, trader, 'GET', '/v1/orders');
        if (last.status === 429) refused++;
      }
      expect(refused).toBeGreaterThanOrEqual(8);
      expect(last!.body.code).toBe('RATE_LIMITED');
      // The admitted requests took 20 from the IP budget (less what refilled); the refusals took
      // nothing. Charged a second time, 8 or more refusals of weight 10 would have taken 80 more.
      expect(remainingIp(last!.headers.get('ratelimit'))).toBeGreaterThanOrEqual(ipQuota - 40);
    } finally {
      await own.stop();
    }
  });
});
