/**
 * The SDK's OTC methods against a real service whose built-in pricer quotes from a known book:
 * request, get, accept, decline and the lists on REST, the same requests on WebSocket, and the
 * helper that accepts only within a limit price (and declines otherwise). A lost answer to an
 * accept with a client order id is retried without a second trade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, RestClient, WsClient } from '../../sdk/src/index.js';
import { DEFAULT_CONFIG } from '../../server/src/config/schema.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startFaultyProxy, type FaultyProxy } from './support/faulty-proxy.js';
import { GENEROUS_LIMITS } from './support/traders.js';

let svc: TestService;
let proxy: FaultyProxy;
let fund: RestClient;

beforeAll(async () => {
  // Quotes stay firm for 30 s (the longest TTL), so a busy machine cannot let one lapse between request and accept.
  svc = await startTestService({ config: { limits: GENEROUS_LIMITS, rfq: { ...DEFAULT_CONFIG.rfq, defaultTtlMs: 30_000 } } });
  proxy = await startFaultyProxy(svc.baseUrl);
  const maker = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('sdk-rfq-mm') });
  // The pricer's book: 5 BTC a side, so a buy is quoted at 25025 and a sell at 24875.1 (10 bps).
  await maker.placeOrder({ symbol: 'BTC-USD', side: 'sell', type: 'limit', price: '25000', quantity: '5' });
  await maker.placeOrder({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '24900', quantity: '5' });
  fund = new RestClient({ baseUrl: svc.baseUrl, credentials: await svc.createTrader('sdk-rfq-fund', { USD: '100000', BTC: '1' }) });
});

afterAll(async () => {
  await proxy?.close();
  await svc?.stop();
});

const btc = async (client: RestClient): Promise<string> => (await client.getBalances()).data.find((b) => b.asset === 'BTC')!.total;

describe('RFQ on the REST client', () => {
  it('requests, gets, accepts, declines and lists quotes and quote trades', async () => {
    const quote = await fund.requestQuote({ symbol: 'BTC-USD', side: 'two_way', quantity: '0.1', clientRfqId: 'sdk-1' });
    expect(quote).toMatchObject({ side: 'two_way', bidPrice: '24875.1', askPrice: '25025', quantity: '0.1', status: 'open', clientRfqId: 'sdk-1' });
    expect(await fund.getQuote(quote.quoteId)).toMatchObject({ quoteId: quote.quoteId, status: 'open' });
    const taken = await fund.acceptQuote(quote.quoteId, { side: 'sell', clientOrderId: 'sdk-take-1' });
    expect(taken.quote).toMatchObject({ status: 'executed', executedSide: 'sell' });
    expect(taken.fills[0]).toMatchObject({ price: '24875.1', quantity: '0.1', venue: 'rfq', quoteId: quote.quoteId });

    const other = await fund.requestQuote({ symbol: 'BTC-USD', side: 'buy', quantity: '0.2' });
    expect((await fund.declineQuote(other.quoteId)).status).toBe('declined');
    const refused = await fund.acceptQuote(other.quoteId, { side: 'buy' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect([(refused as ApiError).status, (refused as ApiError).code]).toEqual([409, 'QUOTE_NOT_OPEN']);
    const tooBig = await fund.requestQuote({ symbol: 'BTC-USD', side: 'buy', quantity: '500' }).catch((e: unknown) => e);
    expect((tooBig as ApiError).code).toBe('RFQ_NOTIONAL_TOO_LARGE');

    const page = await fund.listQuotes({ limit: 1 });
    expect(page.data).toHaveLength(1);
    const all = [];
    for await (const q of fund.iterateQuotes({ limit: 1 })) all.push(q);
    expect(all.map((q) => [q.quoteId, q.status])).toEqual([[other.quoteId, 'declined'], [quote.quoteId, 'executed']]);
    const trades = [];
    for await (const f of fund.iterateQuoteTrades()) trades.push(f);
    expect(trades.map((f) => [f.quoteId, f.price, f.venue])).toEqual([[quote.quoteId, '24875.1', 'rfq']]);
    expect((await fund.listQuoteTrades()).data).toHaveLength(1);
  });

  it('requestAndAccept takes a quote within the limit price, and declines one beyond it', async () => {
    const before = await btc(fund);
    const beyond = await fund.requestAndAccept({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1', limitPrice: '25024.99' });
    expect(beyond.accepted).toBe(false);
    expect(beyond.quote).toMatchObject({ askPrice: '25025', status: 'declined' });
    expect(await btc(fund)).toBe(before);

    const within = await fund.requestAndAccept({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1', limitPrice: '25025' });
    expect(within.accepted).toBe(true);
    if (!within.accepted) return;
    expect(within.quote.status).toBe('executed');
    expect(within.result.fills[0]).toMatchObject({ price: '25025', quantity: '0.1', venue: 'rfq' });
    expect(within.result.order.clientOrderId).toMatch(/^rfq-/);

    // A sell is taken when the bid is at least the limit.
    const sellBeyond = await fund.requestAndAccept({ symbol: 'BTC-USD', side: 'sell', quantity: '0.1', limitPrice: '24875.11' });
    expect([sellBeyond.accepted, sellBeyond.quote.bidPrice]).toEqual([false, '24875.1']);
    const sellWithin = await fund.requestAndAccept({ symbol: 'BTC-USD', side: 'sell', quantity: '0.1', limitPrice: '24000', clientOrderId: 'sdk-sell-1' });
    expect(sellWithin.accepted).toBe(true);
    expect(await btc(fund)).toBe(before);
    await expect(fund.requestAndAccept({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1', limitPrice: 'cheap' })).rejects.toThrow(TypeError);
  });

  it('retries an accept whose answer was lost, by its client order id, without a second trade', async () => {
    const client = new RestClient({ baseUrl: proxy.baseUrl, credentials: await svc.createTrader('sdk-rfq-retry', { USD: '100000' }), retry: { backoff: { baseMs: 10, maxMs: 50 } } });
    const quote = await client.requestQuote({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1' });
    proxy.failNext('POST', `/v1/rfq/${quote.quoteId}/accept`, 'bad-gateway');
    const accepted = await client.acceptQuote(quote.quoteId, { side: 'buy', clientOrderId: 'sdk-retry-1' });
    expect(accepted.quote.status).toBe('executed');
    const posts = proxy.forwarded.filter((f) => f.method === 'POST' && f.url.endsWith(`/v1/rfq/${quote.quoteId}/accept`));
    expect(posts.map((p) => p.fault)).toEqual(['bad-gateway', undefined]);
    const trades = (await client.listQuoteTrades()).data;
    expect(trades).toHaveLength(1);
    expect(trades[0]!.orderId).toBe(accepted.order.orderId);
  });
});

describe('RFQ on the WebSocket client', () => {
  it('requests, gets, accepts and declines with the REST semantics and codes', async () => {
    const ws = new WsClient({ baseUrl: svc.baseUrl, signer: fund.signer! });
    try {
      await ws.connect();
      const quote = await ws.requestQuote({ symbol: 'BTC-USD', side: 'buy', quantity: '0.1' });
      expect(quote).toMatchObject({ askPrice: '25025', status: 'open' });
      expect((await ws.getQuote(quote.quoteId)).status).toBe('open');
      const taken = await ws.acceptQuote({ quoteId: quote.quoteId, side: 'buy', clientOrderId: 'sdk-ws-1' });
      expect(taken.fills[0]).toMatchObject({ price: '25025', venue: 'rfq' });
      const second = await ws.requestQuote({ symbol: 'BTC-USD', side: 'sell', quantity: '0.1' });
      expect((await ws.declineQuote(second.quoteId)).status).toBe('declined');
      const refused = await ws.declineQuote(second.quoteId).catch((e: unknown) => e);
      expect([(refused as ApiError).status, (refused as ApiError).code]).toEqual([409, 'QUOTE_NOT_OPEN']);
    } finally {
      await ws.close();
    }
  });
});
