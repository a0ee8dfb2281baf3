/**
 * GTD expiry in the running service, seen on every channel: REST order status, the WebSocket
 * `orders` stream and a FIX ExecutionReport with ExecType C. Time is moved with an injected
 * clock; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { eventually } from '../helpers/eventually.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';
import { FixClient, type TestKey } from './fix/harness.js';
import { WsTestClient, loginRequest } from './ws/client.js';

let svc: TestService;
// Follows real time too, so request signatures made with the real clock stay inside the window.
const clock = new ManualClock(Date.now(), true);

beforeAll(async () => {
  svc = await startTestService({ clock: () => clock.now(), timers: clock });
});
afterAll(async () => svc?.stop());

describe('GTD expiry in the running service', () => {
  it('expires a GTD order at its expireAt and reports it on REST, WebSocket and FIX', async () => {
    const trader = await svc.createTrader('gtd-trader');
    const fixKey = await svc.asOperator('POST', '/v1/operator/accounts/gtd-trader/api-keys', { body: { label: 'fix', scopes: ['read', 'trade'], fixSenderCompId: 'GTDCLIENT' } });
    expect(fixKey.status).toBe(201);

    const ws = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    await ws.ok('login', loginRequest(trader));
    await ws.ok('subscribe', { channel: 'orders' });

    const fix = await FixClient.connect(svc.fixPort!, 'GTDCLIENT', 'EXCHANGE');
    const key: TestKey = { keyId: fixKey.body.key.keyId, secret: Buffer.from(fixKey.body.secret, 'base64url'), accountId: 'gtd-trader', senderCompId: 'GTDCLIENT' };
    fix.logon(key);
    fix.seq = 2;
    expect((await fix.next()).msgType).toBe('A');

    // Placed over FIX, so the expiry's ExecutionReport goes to this session.
    const expireAt = clock.now() + 1_000;
    fix.send('D', [[11, 'gtd-1'], [55, 'BTC-USD'], [54, '2'], [38, '0.5'], [40, '2'], [44, '30000'], [59, '6'], [126, formatUtcTimestamp(expireAt)], [60, formatUtcTimestamp(Date.now())]]);
    const accepted = await fix.next('8');
    expect(accepted.get(150)).toBe('0');
    const orderId = accepted.get(37)!;

    const get = () => signedFetch(svc.baseUrl, trader, 'GET', `/v1/orders/${orderId}`);
    expect((await get()).body).toMatchObject({ status: 'new', timeInForce: 'GTD' });

    clock.advance(1_500);

    const report = await fix.next('8');
    expect(report.get(150)).toBe('C');
    expect(report.get(39)).toBe('C');
    expect(report.get(37)).toBe(orderId);

    const update = await ws.waitFor((f) => f.type === 'orders.update' && f.order.orderId === orderId && f.event === 'canceled');
    expect(update.order).toMatchObject({ status: 'expired', cancelReason: 'expired' });

    await eventually(async () => {
      const r = await get();
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ orderId, status: 'expired', cancelReason: 'expired', remainingQuantity: '0' });
    });
    const balances = await signedFetch(svc.baseUrl, trader, 'GET', '/v1/balances');
    expect(balances.body.data.find((b: { asset: string }) => b.asset === 'BTC')).toMatchObject({ hold: '0' });
    expect(ws.violations).toEqual([]);
    fix.close();
    ws.ws.close();
  });

  it('GET of a canceled order says why it was canceled, as the DELETE response did', async () => {
    const trader = await svc.createTrader('cancel-reason');
    const placed = await signedFetch(svc.baseUrl, trader, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100', quantity: '0.01', timeInForce: 'GTC' } });
    expect(placed.status).toBe(201);
    const orderId = placed.body.order.orderId as string;
    const deleted = await signedFetch(svc.baseUrl, trader, 'DELETE', `/v1/orders/${orderId}`);
    expect(deleted.body).toMatchObject({ status: 'canceled', cancelReason: 'user' });
    const got = await signedFetch(svc.baseUrl, trader, 'GET', `/v1/orders/${orderId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ orderId, status: 'canceled', cancelReason: 'user' });
  });
});
