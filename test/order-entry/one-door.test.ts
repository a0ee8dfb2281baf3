/**
 * One door: REST, WebSocket and FIX orders go through the same order entry, so they spend one
 * order-rate budget per account. A whole service on real sockets, with the clock injected so the
 * rolling windows do not move under the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import type { Field } from '../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { FixClient } from '../gateway/fix/harness.js';
import { signedFetch } from '../helpers/signing.js';
import { startTestService, type TestService } from '../helpers/service.js';

const PER_SECOND = 3;
/** The service's clock: real time until a test freezes it. */
let frozen: number | undefined;
const clock = (): number => frozen ?? Date.now();
let svc: TestService;
let trader: { accountId: string; keyId: string; secret: string };

beforeAll(async () => {
  svc = await startTestService({
    clock,
    config: { limits: { ...DEFAULT_CONFIG.limits, ordersPerSecond: PER_SECOND, ordersPer10Seconds: 100 } },
  });
  trader = await svc.createTrader('door-1', undefined, ['read', 'trade'], { fixSenderCompId: 'DOOR1' });
});
afterAll(() => svc.stop());

const order = (clOrdId: string, price: string): Field[] => [
  [11, clOrdId], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(clock())], [38, '0.01'], [40, '2'], [44, price],
];

async function fixSession(): Promise<FixClient> {
  const client = await FixClient.connect(svc.fixPort!, 'DOOR1', DEFAULT_CONFIG.fix.compId);
  client.logon({ keyId: trader.keyId, secret: Buffer.from(trader.secret, 'base64url'), accountId: trader.accountId, senderCompId: 'DOOR1' }, { reset: true });
  client.seq = 2;
  expect((await client.next()).msgType).toBe('A');
  return client;
}

describe('the order-rate budget over REST and FIX', () => {
  it('refuses a FIX order over the budget REST spent with ExecutionReport 150=8, OrdRejReason 99 and RATE_LIMITED in Text', async () => {
    const fix = await fixSession();
    frozen = Date.now();
    // Signed at the frozen time; a client order id of its own keeps each signature unique.
    const restOrder = (id: string) => ({ timestamp: frozen!, body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100', quantity: '0.01', clientOrderId: id } });
    for (let i = 0; i < PER_SECOND - 1; i++) {
      const r = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', restOrder(`R-${i}`));
      expect(r.status).toBe(201);
      // The 201 shows the order budgets after the request-weight ones, as docs/rate-limits.md does.
      expect(r.headers.get('ratelimit-policy')).toMatch(/^"key";q=\d+;w=1, "ip";q=\d+;w=1, "orders-1s";q=3;w=1, "orders-10s";q=100;w=10$/);
      expect(r.headers.get('ratelimit')).toContain(`"orders-1s";r=${PER_SECOND - 1 - i};`);
    }
    fix.send('D', order('F-1', '101'));
    const accepted = await fix.next('8');
    expect([accepted.get(11), accepted.get(150)]).toEqual(['F-1', '0']);

    fix.send('D', order('F-2', '102'));
    const refused = await fix.next('8');
    expect([refused.get(11), refused.get(150), refused.get(39), refused.get(103)]).toEqual(['F-2', '8', '8', '99']);
    expect(refused.get(58)).toMatch(/^RATE_LIMITED: /);
    // Nothing reached the core: the account has exactly the orders the budget allowed.
    expect(svc.bus.core.openOrders(trader.accountId)).toHaveLength(PER_SECOND);

    // REST is refused too, by the same budget; cancels never spend it.
    const rest = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', restOrder('R-over'));
    expect(rest.status).toBe(429);
    expect(rest.body.code).toBe('RATE_LIMITED');
    fix.send('F', [[41, 'F-1'], [11, 'C-1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(clock())], [38, '0.01']]);
    const canceled = await fix.next('8');
    expect([canceled.get(11), canceled.get(150)]).toEqual(['C-1', '4']);

    // A replace spends the budget: refused with OrderCancelReject, RATE_LIMITED in Text.
    const live = svc.bus.core.openOrders(trader.accountId)[0]!;
    fix.send('G', [[37, live.orderId], [41, 'x'], [11, 'R-1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(clock())], [38, '0.02'], [40, '2'], [44, '100']]);
    const cxlRej = await fix.next('9');
    expect([cxlRej.get(11), cxlRej.get(434), cxlRej.get(102)]).toEqual(['R-1', '2', '99']);
    expect(cxlRej.get(58)).toMatch(/^RATE_LIMITED: /);

    // A second later the budget has room again, on every channel.
    frozen += 1_000;
    fix.send('D', order('F-3', '103'));
    const later = await fix.next('8');
    expect([later.get(11), later.get(150)]).toEqual(['F-3', '0']);
    fix.close();
  });
});
