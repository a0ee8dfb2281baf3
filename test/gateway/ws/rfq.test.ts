/**
 * The OTC desk over WebSocket on a whole service: RFQ requests, accepts and the private `rfq`
 * channel with REST's semantics and codes, and dealer connections (a key with the `quote` scope
 * on the `dealer` channel) that answer in time, late, malformed, or disconnect mid-RFQ.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.js';
import { signedFetch, type HmacCredentials } from '../../helpers/signing.js';
import { eventually } from '../../helpers/eventually.js';
import { ClientPool, type WsTestClient } from './client.js';

let svc: TestService;
let client: HmacCredentials;
let dealerKey: HmacCredentials;
const pool = new ClientPool();

beforeAll(async () => {
  // Dealers get a generous deadline: the tests below never wait it out, they answer or go away.
  svc = await startTestService({ config: { rfq: { ...(await import('../../../server/src/config/schema.js')).DEFAULT_CONFIG.rfq, dealerDeadlineMs: 5_000 } } });
  const maker = await svc.createTrader('ws-mm');
  client = await svc.createTrader('ws-fund');
  dealerKey = await svc.createTrader('ws-dealer', { USD: '1000000', BTC: '100' }, ['read'], { dealer: true });
  for (const [side, price] of [['sell', '25000'], ['buy', '24900']] as const) {
    const r = await signedFetch(svc.baseUrl, maker, 'POST', '/v1/orders', { body: { symbol: 'BTC-USD', side, type: 'limit', price, quantity: '5' } });
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await svc?.stop();
});

afterEach(() => expect(pool.release()).toEqual([]));

async function loggedIn(creds: HmacCredentials): Promise<WsTestClient> {
  const c = await pool.connect(`ws://127.0.0.1:${svc.httpPort}/v1/ws`);
  expect((await c.login(creds)).type).toBe('reply');
  return c;
}

describe('OTC RFQ over WebSocket', () => {
  it('requests, accepts and streams quote updates with REST\'s semantics and codes', async () => {
    const c = await loggedIn(client);
    const sub = await c.ok('subscribe', { channel: 'rfq' });
    const quote = (await c.ok('requestQuote', { symbol: 'BTC-USD', side: 'buy', quantity: '1' })).result;
    expect(quote).toMatchObject({ side: 'buy', askPrice: '25025', quantity: '1', status: 'open' });
    const accepted = (await c.ok('acceptQuote', { quoteId: quote.quoteId, side: 'buy', clientOrderId: 'ws-acc-1' })).result;
    expect(accepted.quote.status).toBe('executed');
    expect(accepted.fills[0]).toMatchObject({ venue: 'rfq', quoteId: quote.quoteId, price: '25025' });
    const again = await c.request('acceptQuote', { quoteId: quote.quoteId, side: 'buy', clientOrderId: 'ws-acc-2' });
    expect([again.type, again.code, again.status]).toEqual(['error', 'QUOTE_NOT_OPEN', 409]);
    const unknown = await c.request('getQuote', { quoteId: '987654' });
    expect([unknown.code, unknown.status]).toEqual(['QUOTE_NOT_FOUND', 404]);
    const tooBig = await c.request('requestQuote', { symbol: 'BTC-USD', side: 'buy', quantity: '500' });
    expect([tooBig.code, tooBig.status]).toEqual(['RFQ_NOTIONAL_TOO_LARGE', 400]);
    await eventually(() => {
      const updates = c.frames.filter((f) => f.type === 'rfq.update' && f.quote.quoteId === quote.quoteId);
      expect(updates.map((f) => f.quote.status)).toEqual(['open', 'executed']);
      expect(updates.every((f) => f.seq > sub.result.seq)).toBe(true);
    });
    expect(c.violations).toEqual([]);
  });

  it('takes a dealer\'s better quote answered in time, against the dealer\'s account', async () => {
    const dealer = await loggedIn(dealerKey);
    await dealer.ok('subscribe', { channel: 'dealer' });
    const c = await loggedIn(client);
    const pending = c.request('requestQuote', { symbol: 'BTC-USD', side: 'buy', quantity: '1' });
    const rfq = await dealer.waitFor((f) => f.type === 'rfq.request');
    expect(rfq).toMatchObject({ symbol: 'BTC-USD', side: 'buy', quantity: '1' });
    expect(rfq.accountId).toBeUndefined();
    expect((await dealer.ok('quoteAnswer', { rfqId: rfq.rfqId, askPrice: '25010', quantity: '1' })).result.rfqId).toBe(rfq.rfqId);
    const quote = (await pending).result;
    expect(quote.askPrice).toBe('25010'); // better than the pricer's 25025
    expect((await c.ok('acceptQuote', { quoteId: quote.quoteId, side: 'buy' })).result.fills[0].price).toBe('25010');
    const dealerBtc = (await signedFetch(svc.baseUrl, dealerKey, 'GET', '/v1/balances')).body.data.find((b: { asset: string }) => b.asset === 'BTC').total;
    expect(dealerBtc).toBe('99');
    expect(dealer.violations).toEqual([]);
  });

  it('refuses a malformed dealer answer and one that comes after the RFQ closed; the pricer\'s quote stands', async () => {
    const dealer = await loggedIn(dealerKey);
    await dealer.ok('subscribe', { channel: 'dealer' });
    const c = await loggedIn(client);
    const pending = c.request('requestQuote', { symbol: 'BTC-USD', side: 'sell', quantity: '1' });
    const rfq = await dealer.waitFor((f) => f.type === 'rfq.request');
    const noBid = await dealer.request('quoteAnswer', { rfqId: rfq.rfqId, askPrice: '24000', quantity: '1' });
    expect([noBid.type, noBid.code]).toEqual(['error', 'INVALID_QUOTE']);
    const wrongSize = await dealer.request('quoteAnswer', { rfqId: rfq.rfqId, bidPrice: '24990', quantity: '2' });
    expect(wrongSize.code).toBe('INVALID_QUOTE');
    // The dealer passes by not answering well: going away ends the wait, and the pricer answers.
    dealer.close();
    const quote = (await pending).result;
    expect(quote.bidPrice).toBe('24875.1'); // the pricer: 24900 - 10 bps
    const late = await loggedIn(dealerKey);
    await late.ok('subscribe', { channel: 'dealer' });
    const after = await late.request('quoteAnswer', { rfqId: rfq.rfqId, bidPrice: '24990', quantity: '1' });
    expect([after.code, after.status]).toEqual(['INVALID_QUOTE', 400]);
  });

  it('a dealer that disconnects has its live quotes withdrawn', async () => {
    const dealer = await loggedIn(dealerKey);
    await dealer.ok('subscribe', { channel: 'dealer' });
    const c = await loggedIn(client);
    await c.ok('subscribe', { channel: 'rfq' });
    const pending = c.request('requestQuote', { symbol: 'BTC-USD', side: 'buy', quantity: '2' });
    const rfq = await dealer.waitFor((f) => f.type === 'rfq.request');
    await dealer.ok('quoteAnswer', { rfqId: rfq.rfqId, askPrice: '25001', quantity: '2' });
    const quote = (await pending).result;
    expect(quote.askPrice).toBe('25001');
    dealer.close();
    await c.waitFor((f) => f.type === 'rfq.update' && f.quote.quoteId === quote.quoteId && f.quote.status === 'withdrawn');
    const r = await c.request('acceptQuote', { quoteId: quote.quoteId, side: 'buy' });
    expect([r.code, r.status]).toEqual(['QUOTE_NOT_OPEN', 409]);
  });

  it('the dealer channel needs the quote scope', async () => {
    const c = await loggedIn(client);
    const r = await c.request('subscribe', { channel: 'dealer' });
    expect([r.code, r.status]).toEqual(['AUTH_SCOPE_MISSING', 403]);
  });
});
