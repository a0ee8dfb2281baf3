/**
 * The OTC desk over REST, on a real service with an injected clock: a maker's resting orders are
 * the live book the built-in pricer quotes from; the firm's OTC account (funded in demo mode)
 * takes the other side of every accepted quote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFetch, type HmacCredentials } from '../../helpers/signing.js';
import { sampleSum } from '../../observability/exposition.js';
import { startTestService, type TestService } from '../../helpers/service.js';

let svc: TestService;
/** The service's clock: real time, or frozen where a test steps it by hand. */
let frozen: number | undefined;
const clock = (): number => frozen ?? Date.now();
let maker: HmacCredentials;
let client: HmacCredentials;
let other: HmacCredentials;
let n = 0;

/** A signed call at the injected time (a fresh timestamp each call, so no two are replays). */
const call = (who: HmacCredentials, method: string, path: string, body?: unknown) =>
  signedFetch(svc.baseUrl, who, method, path, { timestamp: clock() - (++n % 1000), ...(body !== undefined && { body }) });

beforeAll(async () => {
  svc = await startTestService({ clock });
  maker = await svc.createTrader('mm');
  client = await svc.createTrader('fund', { USD: '100000', BTC: '1' });
  other = await svc.createTrader('other');
  // The live book: asks 1 @ 25000, 1 @ 25100; bids 1 @ 24900, 1 @ 24800.
  for (const [side, price] of [['sell', '25000'], ['sell', '25100'], ['buy', '24900'], ['buy', '24800']] as const) {
    const r = await call(maker, 'POST', '/v1/orders', { symbol: 'BTC-USD', side, type: 'limit', price, quantity: '1' });
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await svc?.stop();
});

const balance = async (who: HmacCredentials, asset: string): Promise<string> =>
  ((await call(who, 'GET', '/v1/balances')).body.data as { asset: string; total: string }[]).find((b) => b.asset === asset)?.total ?? '0';

describe('OTC RFQ over REST', () => {
  it('quotes from the book (VWAP + spread), executes at exactly the quote, off the tape, idempotent by client order id', async () => {
    const q = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'two_way', quantity: '2', clientRfqId: 'r-1' });
    expect(q.status).toBe(201);
    // VWAP 25050 + 10 bps = 25075.05 (ask); 24850 - 10 bps = 24825.15 (bid); the size skew of 2/1000 of the max rounds to 0 bps.
    expect(q.body).toMatchObject({ symbol: 'BTC-USD', side: 'two_way', askPrice: '25075.05', bidPrice: '24825.15', quantity: '2', status: 'open', clientRfqId: 'r-1' });
    // The default TTL, counted from the request (the quote is sequenced a moment later).
    expect(q.body.validUntil - q.body.createdAt).toBeLessThanOrEqual(5000);
    expect(q.body.validUntil - q.body.createdAt).toBeGreaterThan(4000);
    expect(q.body.counterpartyId).toBeUndefined();

    const dup = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '1', clientRfqId: 'r-1' });
    expect([dup.status, dup.body.code]).toEqual([409, 'RFQ_DUPLICATE_ID']);

    const accept = await call(client, 'POST', `/v1/rfq/${q.body.quoteId}/accept`, { side: 'buy', clientOrderId: 'acc-1' });
    expect(accept.status).toBe(201);
    expect(accept.body.quote).toMatchObject({ status: 'executed', executedSide: 'buy' });
    expect(accept.body.order).toMatchObject({ status: 'filled', quoteId: q.body.quoteId, price: '25075.05', quantity: '2' });
    expect(accept.body.fills).toEqual([expect.objectContaining({ price: '25075.05', quantity: '2', venue: 'rfq', liquidity: 'taker', quoteId: q.body.quoteId })]);
    // Counted on /metrics: the quote issued, accepted, and one quote trade.
    const metrics = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    expect(sampleSum(metrics, 'trading_rfqs_total', { outcome: 'quoted' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(metrics, 'trading_rfqs_total', { outcome: 'accepted' })).toBe(1);
    expect(sampleSum(metrics, 'trading_quote_trades_total')).toBe(1);
    expect(await balance(client, 'BTC')).toBe('3');
    expect(await balance(client, 'USD')).toBe('49849.9');

    const again = await call(client, 'POST', `/v1/rfq/${q.body.quoteId}/accept`, { side: 'buy', clientOrderId: 'acc-1' });
    expect(again.status).toBe(201);
    expect(again.body.order.orderId).toBe(accept.body.order.orderId);
    expect(await balance(client, 'BTC')).toBe('3');
    const second = await call(client, 'POST', `/v1/rfq/${q.body.quoteId}/accept`, { side: 'buy', clientOrderId: 'acc-2' });
    expect([second.status, second.body.code]).toEqual([409, 'QUOTE_NOT_OPEN']);

    const tape = await call(client, 'GET', '/v1/instruments/BTC-USD/trades');
    expect(tape.body.data ?? tape.body).toEqual([]);
    // Its id is free again once the quote closed.
    expect((await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '1', clientRfqId: 'r-1' })).status).toBe(201);

    const fills = await call(client, 'GET', '/v1/fills');
    expect(fills.body.data[0]).toMatchObject({ venue: 'rfq', quoteId: q.body.quoteId, price: '25075.05' });
    const trades = await call(client, 'GET', '/v1/rfq-trades');
    expect(trades.body.data).toEqual([expect.objectContaining({ quoteId: q.body.quoteId, side: 'buy', quantity: '2', venue: 'rfq' })]);
    const list = await call(client, 'GET', '/v1/rfq');
    expect(list.body.data.map((x: { quoteId: string; status: string }) => x.status)).toEqual(['open', 'executed']);
    expect((await call(client, 'GET', `/v1/rfq/${q.body.quoteId}`)).body.status).toBe('executed');
  });

  it('judges expiry on the sequenced time: 1 ms before validUntil executes, 1 ms after is QUOTE_EXPIRED', async () => {
    frozen = Date.now();
    const early = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'sell', quantity: '0.5', ttlMs: 1000 });
    frozen += 999;
    expect((await call(client, 'POST', `/v1/rfq/${early.body.quoteId}/accept`, { side: 'sell' })).status).toBe(201);
    const late = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'sell', quantity: '0.5', ttlMs: 1000 });
    frozen += 1001;
    const r = await call(client, 'POST', `/v1/rfq/${late.body.quoteId}/accept`, { side: 'sell' });
    expect([r.status, r.body.code]).toEqual([422, 'QUOTE_EXPIRED']);
    expect((await call(client, 'GET', `/v1/rfq/${late.body.quoteId}`)).body.status).toBe('expired');
    frozen = undefined;
  });

  it('of two concurrent accepts of one quote exactly one executes', async () => {
    const q = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '0.1' });
    const results = await Promise.all(['c-a', 'c-b'].map((id) => call(client, 'POST', `/v1/rfq/${q.body.quoteId}/accept`, { side: 'buy', clientOrderId: id })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe('QUOTE_NOT_OPEN');
  });

  it('refuses bad input with catalog codes, and nothing moves', async () => {
    // Leave the client less than the 50,150 USD a 2 BTC quote costs.
    expect((await svc.asOperator('POST', '/v1/operator/accounts/fund/withdrawals', { body: { asset: 'USD', amount: '20000' } })).status).toBe(200);
    const usd = await balance(client, 'USD');
    const code = async (p: Promise<{ status: number; body: any }>) => ((r) => [r.status, r.body.code])(await p);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'NOPE-USD', side: 'buy', quantity: '1' }))).toEqual([400, 'UNKNOWN_SYMBOL']);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '0.000001' }))).toEqual([400, 'QUANTITY_OFF_LOT']);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '0' }))).toEqual([400, 'INVALID_QUANTITY']);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '100' }))).toEqual([400, 'RFQ_NOTIONAL_TOO_LARGE']);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '5' }))).toEqual([422, 'RFQ_NO_QUOTE']);
    expect(await code(call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'sell', quoteQuantity: '100' }))).toEqual([400, 'VALIDATION_FAILED']);
    const buyOnly = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '0.2' });
    expect(await code(call(client, 'POST', `/v1/rfq/${buyOnly.body.quoteId}/accept`, { side: 'sell' }))).toEqual([400, 'QUOTE_MISMATCH']);
    expect(await code(call(other, 'POST', `/v1/rfq/${buyOnly.body.quoteId}/accept`, { side: 'buy' }))).toEqual([404, 'QUOTE_NOT_FOUND']);
    expect(await code(call(other, 'GET', `/v1/rfq/${buyOnly.body.quoteId}`))).toEqual([404, 'QUOTE_NOT_FOUND']);
    expect(await code(call(client, 'POST', '/v1/rfq/999999/accept', { side: 'buy' }))).toEqual([404, 'QUOTE_NOT_FOUND']);
    const big = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quantity: '2' }); // 50,150 USD > what is left
    expect(await code(call(client, 'POST', `/v1/rfq/${big.body.quoteId}/accept`, { side: 'buy' }))).toEqual([422, 'INSUFFICIENT_FUNDS']);
    expect(await balance(client, 'USD')).toBe(usd);
    const declined = await call(client, 'POST', `/v1/rfq/${big.body.quoteId}/decline`);
    expect([declined.status, declined.body.status]).toEqual([200, 'declined']);
    expect(await code(call(client, 'POST', `/v1/rfq/${big.body.quoteId}/accept`, { side: 'buy' }))).toEqual([409, 'QUOTE_NOT_OPEN']);
  });

  it('quotes a buy by quote amount for at most that amount', async () => {
    const q = await call(client, 'POST', '/v1/rfq', { symbol: 'BTC-USD', side: 'buy', quoteQuantity: '10000' });
    expect(q.status).toBe(201);
    const notional = Number(q.body.askPrice) * Number(q.body.quantity);
    expect(notional).toBeLessThanOrEqual(10000);
    expect(notional).toBeGreaterThan(9900);
  });
});
