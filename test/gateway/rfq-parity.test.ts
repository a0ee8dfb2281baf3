/**
 * One scripted OTC RFQ flow over REST, WebSocket and FIX on one running service: request, firm
 * quote, accept, fill; a decline; and the refusals (a second accept, an accept after a decline, an
 * unknown quote, a side the quote does not have, a request too large, an unknown symbol). Each
 * channel drives its own account, funded alike, against the same book, so every step must give
 * the same outcome and catalog code on all three, and the accounts must end with equal balances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field } from '../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../server/src/gateway/fix/time.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { signedFetch, type HmacCredentials } from '../helpers/signing.js';
import { FixClient, type TestKey } from './fix/harness.js';
import { WsTestClient, loginRequest } from './ws/client.js';

const WAIT = 30_000;
const FUNDS = { USD: '100000', BTC: '2' };

/** A step's outcome in channel-neutral terms: what a client learns, minus ids and times. */
type Outcome = { ok: true; [k: string]: string | boolean | undefined } | { ok: false; code: string };

interface RfqChannel {
  request(a: { symbol: string; side: 'buy' | 'sell' | 'two_way'; quantity: string; clientRfqId: string }): Promise<{ outcome: Outcome; quoteId?: string }>;
  accept(quoteId: string, side: 'buy' | 'sell', clientOrderId: string): Promise<Outcome>;
  decline(quoteId: string): Promise<Outcome>;
  close(): void;
}

let svc: TestService;
/** Each channel's account, for its balances at the end. */
const accounts = new Map<string, HmacCredentials>();

beforeAll(async () => {
  // Quotes stay firm for 30 s (the longest TTL) here: the flow, not the lapse, is under test, and a busy machine
  // must not let a quote lapse between request and accept.
  svc = await startTestService({ config: { rfq: { ...DEFAULT_CONFIG.rfq, defaultTtlMs: 30_000 } } });
  const maker = await svc.createTrader('parity-mm');
  // The book every channel's quotes are priced from: 5 BTC a side.
  for (const [side, price] of [['sell', '25000'], ['buy', '24900']] as const) {
    const r = await signedFetch(svc.baseUrl, maker, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side, type: 'limit', price, quantity: '5' } });
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await svc?.stop();
});

const quoteOutcome = (q: { side: string; bidPrice?: string; askPrice?: string; quantity: string; status: string }): Outcome =>
  ({ ok: true, side: q.side, bidPrice: q.bidPrice, askPrice: q.askPrice, quantity: q.quantity, status: q.status });
const fillOutcome = (o: { status: string; price: string; quantity: string; venue: string }): Outcome => ({ ok: true, ...o });

async function restChannel(): Promise<RfqChannel> {
  const who = await svc.createTrader('parity-rest', FUNDS);
  accounts.set('rest', who);
  const call = (method: string, path: string, body?: unknown) => signedFetch(svc.baseUrl, who, method, path, body === undefined ? {} : { body });
  return {
    async request(a) {
      const r = await call('POST', '/v1/rfq', a);
      return r.status === 201 ? { outcome: quoteOutcome(r.body), quoteId: r.body.quoteId } : { outcome: { ok: false, code: r.body.code } };
    },
    async accept(quoteId, side, clientOrderId) {
      const r = await call('POST', `/v1/rfq/${quoteId}/accept`, { side, clientOrderId });
      if (r.status !== 201) return { ok: false, code: r.body.code };
      const fill = r.body.fills[0];
      return fillOutcome({ status: r.body.order.status, price: fill.price, quantity: fill.quantity, venue: fill.venue });
    },
    async decline(quoteId) {
      const r = await call('POST', `/v1/rfq/${quoteId}/decline`);
      return r.status === 200 ? { ok: true, status: r.body.status } : { ok: false, code: r.body.code };
    },
    close() {},
  };
}

async function wsChannel(): Promise<RfqChannel> {
  const who = await svc.createTrader('parity-ws', FUNDS);
  accounts.set('ws', who);
  const ws = await WsTestClient.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
  await ws.ok('login', loginRequest(who));
  return {
    async request(a) {
      const f = await ws.request('requestQuote', a, WAIT);
      return f.type === 'reply' ? { outcome: quoteOutcome(f.result), quoteId: f.result.quoteId } : { outcome: { ok: false, code: f.code } };
    },
    async accept(quoteId, side, clientOrderId) {
      const f = await ws.request('acceptQuote', { quoteId, side, clientOrderId }, WAIT);
      if (f.type !== 'reply') return { ok: false, code: f.code };
      const fill = f.result.fills[0];
      return fillOutcome({ status: f.result.order.status, price: fill.price, quantity: fill.quantity, venue: fill.venue });
    },
    async decline(quoteId) {
      const f = await ws.request('declineQuote', { quoteId }, WAIT);
      return f.type === 'reply' ? { ok: true, status: f.result.status } : { ok: false, code: f.code };
    },
    close() {
      expect(ws.violations).toEqual([]);
      ws.ws.close();
    },
  };
}

async function fixChannel(): Promise<RfqChannel> {
  accounts.set('fix', await svc.createTrader('parity-fix', FUNDS));
  const key = await svc.asOperator('POST', '/v1/operator/accounts/parity-fix/api-keys', { body: { label: 'fix', scopes: ['read', 'trade'], fixSenderCompId: 'PARITYFIX' } });
  expect(key.status).toBe(201);
  const fixKey: TestKey = { keyId: key.body.key.keyId, secret: Buffer.from(key.body.secret, 'base64url'), accountId: 'parity-fix', senderCompId: 'PARITYFIX' };
  const fix = await FixClient.connect(svc.fixPort!, 'PARITYFIX', 'EXCHANGE');
  fix.logon(fixKey);
  fix.seq = 2;
  expect((await fix.next(undefined, WAIT)).msgType).toBe('A');
  /** The catalog code a FIX reject carries at the head of Text(58). */
  const code = (text: string | undefined): string => (text ?? '').split(':')[0]!;
  let responses = 0;
  return {
    async request(a) {
      const body: Field[] = [[131, a.clientRfqId], [146, '1'], [55, a.symbol], ...(a.side === 'two_way' ? [] : [[54, a.side === 'buy' ? '1' : '2'] as Field]), [38, a.quantity]];
      fix.send('R', body);
      let m = await fix.next(undefined, WAIT);
      // A slow run may see a Heartbeat or TestRequest first: the answer is the next application message.
      while (m.msgType === '0' || m.msgType === '1') m = await fix.next(undefined, WAIT);
      if (m.msgType === 'AG') return { outcome: { ok: false, code: code(m.get(58)) } };
      expect(m.msgType).toBe('S');
      const side = m.get(54) === undefined ? 'two_way' : m.get(54) === '1' ? 'buy' : 'sell';
      return { outcome: quoteOutcome({ side, bidPrice: m.get(132), askPrice: m.get(133), quantity: m.get(38)!, status: 'open' }), quoteId: m.get(117)! };
    },
    async accept(quoteId, side, clientOrderId) {
      fix.send('D', [[11, clientOrderId], [55, 'BTC-USD'], [54, side === 'buy' ? '1' : '2'], [60, formatUtcTimestamp(Date.now())], [40, 'D'], [117, quoteId]]);
      const first = await fix.next('8', WAIT);
      if (first.get(150) === '8') return { ok: false, code: code(first.get(58)) };
      expect(first.get(150)).toBe('0');
      const trade = await fix.next('8', WAIT);
      expect([trade.get(150), trade.get(40)]).toEqual(['F', 'D']);
      // OrdType D marks the fill of a quote: the venue REST and WebSocket name `rfq`.
      return fillOutcome({ status: trade.get(39) === '2' ? 'filled' : `39=${trade.get(39)}`, price: trade.get(31)!, quantity: trade.get(32)!, venue: 'rfq' });
    },
    async decline(quoteId) {
      fix.send('AJ', [[693, `pass-${++responses}`], [117, quoteId], [694, '6'], [55, 'BTC-USD']]);
      const report = await fix.next('AI', WAIT);
      return report.get(297) === '11' ? { ok: true, status: 'declined' } : { ok: false, code: code(report.get(58)) };
    },
    close() {
      fix.close();
    },
  };
}

/** The scripted flow; returns each step's outcome, in order, with the step's name. */
async function script(c: RfqChannel): Promise<Array<[string, Outcome]>> {
  const steps: Array<[string, Outcome]> = [];
  const buy = await c.request({ symbol: 'BTC-USD', side: 'buy', quantity: '0.5', clientRfqId: 'parity-1' });
  steps.push(['request a buy', buy.outcome]);
  steps.push(['a second RFQ under an open clientRfqId', (await c.request({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1', clientRfqId: 'parity-1' })).outcome]);
  steps.push(['accept the side the quote does not have', await c.accept(buy.quoteId!, 'sell', 'parity-take-0')]);
  steps.push(['accept', await c.accept(buy.quoteId!, 'buy', 'parity-take-1')]);
  steps.push(['accept again', await c.accept(buy.quoteId!, 'buy', 'parity-take-2')]);
  const twoWay = await c.request({ symbol: 'BTC-USD', side: 'two_way', quantity: '0.2', clientRfqId: 'parity-2' });
  steps.push(['request two-way', twoWay.outcome]);
  steps.push(['decline', await c.decline(twoWay.quoteId!)]);
  steps.push(['decline again', await c.decline(twoWay.quoteId!)]);
  steps.push(['accept after the decline', await c.accept(twoWay.quoteId!, 'sell', 'parity-take-3')]);
  steps.push(['accept an unknown quote', await c.accept('99999999', 'buy', 'parity-take-4')]);
  steps.push(['request above the RFQ maximum', (await c.request({ symbol: 'BTC-USD', side: 'buy', quantity: '500', clientRfqId: 'parity-3' })).outcome]);
  steps.push(['request an unknown symbol', (await c.request({ symbol: 'NOPE-USD', side: 'sell', quantity: '1', clientRfqId: 'parity-4' })).outcome]);
  steps.push(['request off the lot', (await c.request({ symbol: 'BTC-USD', side: 'sell', quantity: '0.000000001', clientRfqId: 'parity-5' })).outcome]);
  return steps;
}

async function balances(channel: string): Promise<Record<string, string>> {
  const r = await signedFetch(svc.baseUrl, accounts.get(channel)!, 'GET', '/v1/balances');
  expect(r.status).toBe(200);
  return Object.fromEntries((r.body.data as { asset: string; total: string }[]).map((b) => [b.asset, b.total]));
}

describe('one RFQ flow over REST, WebSocket and FIX', () => {
  it('gives the same outcomes and catalog codes on every channel, and moves the same amounts', async () => {
    const transcripts: Record<string, Array<[string, Outcome]>> = {};
    for (const [name, open] of [['rest', restChannel], ['ws', wsChannel], ['fix', fixChannel]] as const) {
      const channel = await open();
      try {
        transcripts[name] = await script(channel);
      } finally {
        channel.close();
      }
    }
    // The flow itself, as REST tells it.
    expect(transcripts.rest).toEqual([
      ['request a buy', { ok: true, side: 'buy', bidPrice: undefined, askPrice: '25025', quantity: '0.5', status: 'open' }],
      ['a second RFQ under an open clientRfqId', { ok: false, code: 'RFQ_DUPLICATE_ID' }],
      ['accept the side the quote does not have', { ok: false, code: 'QUOTE_MISMATCH' }],
      ['accept', { ok: true, status: 'filled', price: '25025', quantity: '0.5', venue: 'rfq' }],
      ['accept again', { ok: false, code: 'QUOTE_NOT_OPEN' }],
      ['request two-way', { ok: true, side: 'two_way', bidPrice: '24875.1', askPrice: '25025', quantity: '0.2', status: 'open' }],
      ['decline', { ok: true, status: 'declined' }],
      ['decline again', { ok: false, code: 'QUOTE_NOT_OPEN' }],
      ['accept after the decline', { ok: false, code: 'QUOTE_NOT_OPEN' }],
      ['accept an unknown quote', { ok: false, code: 'QUOTE_NOT_FOUND' }],
      ['request above the RFQ maximum', { ok: false, code: 'RFQ_NOTIONAL_TOO_LARGE' }],
      ['request an unknown symbol', { ok: false, code: 'UNKNOWN_SYMBOL' }],
      ['request off the lot', { ok: false, code: 'QUANTITY_OFF_LOT' }],
    ]);
    expect(transcripts.ws).toEqual(transcripts.rest);
    expect(transcripts.fix).toEqual(transcripts.rest);

    // The same trade moved the same amounts: 0.5 BTC in, 12512.5 USD out, on every channel.
    const rest = await balances('rest');
    expect(rest).toMatchObject({ BTC: '2.5', USD: '87487.5' });
    expect(await balances('ws')).toEqual(rest);
    expect(await balances('fix')).toEqual(rest);
  });
});
