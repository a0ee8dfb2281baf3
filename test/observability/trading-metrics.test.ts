/**
 * The trading metrics, each driven by real traffic over REST, WebSocket and FIX against a whole
 * service, then read back from /metrics.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixLogonPrehash } from '../../server/src/auth/canonical.js';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { FixClient } from '../gateway/fix/harness.js';
import { WsTestClient, loginRequest } from '../gateway/ws/client.js';
import { eventually } from '../helpers/eventually.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch } from '../helpers/signing.js';
import { sampleSum, scrape } from './exposition.js';

let svc: TestService;

beforeAll(async () => {
  // Two orders per 10 s per account, so the third one meets the order-rate limit; 30 units of
  // request weight per key and second, so a burst of reads meets the request-weight limit.
  svc = await startTestService({ config: { limits: { keyWeightPerSecond: 30, ipWeightPerSecond: 300, ordersPerSecond: 10, ordersPer10Seconds: 2 } } });
});
afterAll(async () => {
  await svc?.stop();
});

const order = (price: string, extra: Record<string, unknown> = {}) => ({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price, quantity: '0.1', ...extra });

describe('trading metrics', () => {
  it('counts REST orders by outcome, reject codes, refusals by policy, and the sequencer and journal stages', async () => {
    const alice = await svc.createTrader('m-alice');
    const before = await scrape(svc.baseUrl);
    const accepted = await signedFetch(svc.baseUrl, alice, 'POST', '/v1/orders', { body: order('20000.00') });
    expect(accepted.status).toBe(201);
    const rejected = await signedFetch(svc.baseUrl, alice, 'POST', '/v1/orders', { body: order('20000.001') });
    expect(rejected.body.code).toBe('PRICE_OFF_TICK');
    const limited = await signedFetch(svc.baseUrl, alice, 'POST', '/v1/orders', { body: order('20000.00') });
    expect(limited.status).toBe(429);

    const text = await scrape(svc.baseUrl);
    const delta = (name: string, labels: Record<string, string> = {}) => sampleSum(text, name, labels) - sampleSum(before, name, labels);
    expect(delta('trading_orders_total', { channel: 'rest', outcome: 'accepted' })).toBe(1);
    expect(delta('trading_orders_total', { channel: 'rest', outcome: 'rejected' })).toBe(1);
    expect(delta('trading_orders_total', { channel: 'rest', outcome: 'rate_limited' })).toBe(1);
    expect(delta('trading_rejects_total', { code: 'PRICE_OFF_TICK' })).toBe(1);
    expect(delta('trading_rate_limit_refusals_total', { limit: 'order' })).toBeGreaterThanOrEqual(1);
    expect(delta('trading_order_ack_duration_seconds_count', { channel: 'rest' })).toBe(2);
    expect(delta('trading_match_duration_seconds_count')).toBe(2);
    expect(delta('trading_sequencer_apply_duration_seconds_count', { command: 'PlaceOrder' })).toBe(2);
    expect(delta('trading_journal_fsync_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(delta('trading_journal_append_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(delta('trading_journal_group_commit_records_sum')).toBeGreaterThanOrEqual(2);
    expect(sampleSum(text, 'trading_ready')).toBe(1);
    expect(sampleSum(text, 'trading_journal_durable_index')).toBeGreaterThan(sampleSum(before, 'trading_journal_durable_index'));
  });

  it('reports the history projection lag, which returns to zero once the history catches up', async () => {
    await svc.bus.historySynced();
    const text = await scrape(svc.baseUrl);
    expect(text).toMatch(/^trading_history_projection_lag_records 0$/m);
  });

  it('counts request-weight refusals by policy', async () => {
    const bob = await svc.createTrader('m-bob');
    const before = await scrape(svc.baseUrl);
    // Distinct timestamps, so that no request is refused as a replay of another.
    const now = Date.now();
    // listOrders weighs 10: the fourth in a quick burst finds the key's budget of 30 spent.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => signedFetch(svc.baseUrl, bob, 'GET', '/v1/orders', { timestamp: now - i })));
    const refused = answers.filter((a) => a.status === 429).length;
    expect(refused).toBeGreaterThan(0);
    const text = await scrape(svc.baseUrl);
    expect(sampleSum(text, 'trading_rate_limit_refusals_total', { limit: 'request', policy: 'key' }) - sampleSum(before, 'trading_rate_limit_refusals_total', { limit: 'request', policy: 'key' })).toBe(refused);
  });

  it('counts authentication failures by code, and lockouts', async () => {
    const carol = await svc.createTrader('m-carol');
    const forged = { keyId: carol.keyId, secret: Buffer.alloc(32, 1).toString('base64url') };
    const before = await scrape(svc.baseUrl);
    let lockedOut = false;
    for (let i = 0; i < 30 && !lockedOut; i++) {
      const res = await signedFetch(svc.baseUrl, forged, 'GET', '/v1/account');
      lockedOut = res.body?.code === 'AUTH_LOCKED_OUT';
    }
    expect(lockedOut).toBe(true);
    const text = await scrape(svc.baseUrl);
    expect(sampleSum(text, 'trading_auth_failures_total', { code: 'AUTH_INVALID' }) - sampleSum(before, 'trading_auth_failures_total', { code: 'AUTH_INVALID' })).toBe(10);
    expect(sampleSum(text, 'trading_auth_failures_total', { code: 'AUTH_LOCKED_OUT' }) - sampleSum(before, 'trading_auth_failures_total', { code: 'AUTH_LOCKED_OUT' })).toBe(1);
    expect(sampleSum(text, 'trading_auth_lockouts_total', { subject: 'key' }) - sampleSum(before, 'trading_auth_lockouts_total', { subject: 'key' })).toBe(1);
  });

  it('counts WebSocket connections, subscriptions and orders on the ws channel', async () => {
    const dave = await svc.createTrader('m-dave');
    const client = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
    try {
      await client.ok('login', loginRequest(dave));
      await client.ok('subscribe', { channel: 'orders' });
      await client.ok('subscribe', { channel: 'ticker', symbol: 'BTC-USD' });
      await client.ok('placeOrder', order('19000.00'));
      const text = await scrape(svc.baseUrl);
      expect(sampleSum(text, 'ws_connections')).toBe(1);
      expect(sampleSum(text, 'ws_subscriptions')).toBe(2);
      expect(sampleSum(text, 'ws_connections_opened_total')).toBeGreaterThanOrEqual(1);
      expect(sampleSum(text, 'ws_frames_received_total')).toBeGreaterThanOrEqual(3);
      expect(sampleSum(text, 'trading_orders_total', { channel: 'ws', outcome: 'accepted' })).toBe(1);
      expect(sampleSum(text, 'trading_order_ack_duration_seconds_count', { channel: 'ws' })).toBe(1);
    } finally {
      client.close();
    }
    await eventually(async () => expect(sampleSum(await scrape(svc.baseUrl), 'ws_connections')).toBe(0));
  });

  it('counts FIX sessions, messages by type, resend requests, session rejects and orders on the fix channel', async () => {
    const erin = await svc.createTrader('m-erin', undefined, ['read', 'trade'], { fixSenderCompId: 'ERIN' });
    const fix = await FixClient.connect(svc.fixPort!, 'ERIN', 'EXCHANGE');
    try {
      const sendingTime = formatUtcTimestamp(Date.now());
      const signature = createHmac('sha256', Buffer.from(erin.secret, 'base64url'))
        .update(fixLogonPrehash({ sendingTime, msgType: 'A', msgSeqNum: 1, senderCompId: 'ERIN', targetCompId: 'EXCHANGE' })).digest('base64');
      fix.send('A', [[98, '0'], [108, '30'], [553, erin.keyId], [554, signature]], { sendingTime });
      await fix.next('A');
      expect(sampleSum(await scrape(svc.baseUrl), 'fix_sessions_logged_on')).toBe(1);

      fix.send('D', [[11, 'fix-1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '0.1'], [40, '2'], [44, '18000']]);
      expect((await fix.next('8')).get(150)).toBe('0');
      // A message without SendingTime(52)... is refused at the session level.
      fix.writeRaw(frameWithout52(fix));
      await fix.next('3');
      // A gap: the acceptor asks for what it missed.
      fix.send('0', [], { seq: fix.seq + 5 });
      await fix.next('2');

      const text = await scrape(svc.baseUrl);
      expect(sampleSum(text, 'fix_messages_total', { direction: 'in', msg_type: 'D' })).toBe(1);
      expect(sampleSum(text, 'fix_messages_total', { direction: 'in', msg_type: 'A' })).toBe(1);
      expect(sampleSum(text, 'fix_messages_total', { direction: 'out', msg_type: '8' })).toBeGreaterThanOrEqual(1);
      expect(sampleSum(text, 'fix_session_rejects_total', { reason: '1' })).toBe(1);
      expect(sampleSum(text, 'fix_resend_requests_total', { direction: 'out' })).toBe(1);
      expect(sampleSum(text, 'trading_orders_total', { channel: 'fix', outcome: 'accepted' })).toBe(1);
    } finally {
      fix.close();
    }
    await eventually(async () => expect(sampleSum(await scrape(svc.baseUrl), 'fix_sessions_logged_on')).toBe(0));
  });
});

/** A Heartbeat with the next sequence number but no SendingTime(52). */
function frameWithout52(fix: FixClient): string {
  const seq = fix.seq++;
  const body = `35=0\x0149=ERIN\x0156=EXCHANGE\x0134=${seq}\x01`;
  const head = `8=FIX.4.4\x019=${Buffer.byteLength(body, 'latin1')}\x01`;
  const sum = [...Buffer.from(head + body, 'latin1')].reduce((a, b) => a + b, 0) % 256;
  return `${head}${body}10=${String(sum).padStart(3, '0')}\x01`;
}
