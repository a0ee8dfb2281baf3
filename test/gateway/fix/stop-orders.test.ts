/**
 * Stop and stop-limit orders over FIX 4.4 through a real socket: NewOrderSingle OrdType 3 and 4
 * with StopPx(99), the catalog codes of bad stop input in rejected ExecutionReports, a replace
 * of the stop price, and ExecType L when the stop triggers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { loggedOn, startVenue, type TestVenue } from './harness.js';

const WAIT = 20_000;
const ts = (): string => formatUtcTimestamp(Date.now());
let venue: TestVenue;
let ids = 0;
const clOrdId = (): string => `S${++ids}`;
const fields = (m: FixMessage, ...tags: number[]): Array<string | undefined> => tags.map((t) => m.get(t));

beforeAll(async () => {
  venue = await startVenue({ clients: { STOPPER: 'acc-stop', MAKER: 'acc-maker', TAKER: 'acc-taker' } });
  // The last trade price: 100.
  expect((await venue.orders.place('acc-maker', { symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC' })).ok).toBe(true);
  expect((await venue.orders.place('acc-taker', { symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC' })).ok).toBe(true);
});
afterAll(async () => venue.close());

function stopOrder(id: string, side: '1' | '2', ordType: '3' | '4', qty: string, stopPx?: string, price?: string): Field[] {
  const f: Field[] = [[11, id], [55, 'BTC-USD'], [54, side], [60, ts()], [38, qty], [40, ordType]];
  if (price !== undefined) f.push([44, price]);
  if (stopPx !== undefined) f.push([99, stopPx]);
  return f;
}

describe('stop orders over FIX', () => {
  it('accepts OrdType 4 with StopPx and reports both prices, untriggered (OrdStatus New)', async () => {
    const c = await loggedOn(venue, 'STOPPER', { reset: true });
    const id = clOrdId();
    c.send('D', stopOrder(id, '1', '4', '0.5', '105', '106'));
    const er = await c.next('8', WAIT);
    expect(fields(er, 11, 150, 39, 40, 44, 99, 38, 151)).toEqual([id, '0', '0', '4', '106', '105', '0.5', '0.5']);
    c.close();
  });

  it('rejects a stop without StopPx and a stop price on the wrong side, with the catalog code in Text', async () => {
    const c = await loggedOn(venue, 'STOPPER', { reset: true });
    const missing = clOrdId();
    c.send('D', stopOrder(missing, '2', '3', '0.5'));
    const er = await c.next('8', WAIT);
    expect(fields(er, 11, 150, 39, 103)).toEqual([missing, '8', '8', '11']);
    expect(er.get(58)).toMatch(/^STOP_PRICE_REQUIRED: /);
    const wrong = clOrdId();
    c.send('D', stopOrder(wrong, '2', '3', '0.5', '101'));
    const er2 = await c.next('8', WAIT);
    expect(fields(er2, 11, 150, 39, 103)).toEqual([wrong, '8', '8', '99']);
    expect(er2.get(58)).toMatch(/^STOP_PRICE_WRONG_SIDE: /);
    c.close();
  });

  it('replaces the stop price, then reports ExecType L when a trade reaches it, followed by the fill', async () => {
    const c = await loggedOn(venue, 'STOPPER', { reset: true });
    const id = clOrdId();
    c.send('D', stopOrder(id, '2', '3', '0.3', '95'));
    const ack = await c.next('8', WAIT);
    expect(fields(ack, 150, 40, 99)).toEqual(['0', '3', '95']);
    const orderId = ack.get(37)!;
    const replaceId = clOrdId();
    c.send('G', [[37, orderId], [41, id], [11, replaceId], [55, 'BTC-USD'], [54, '2'], [60, ts()], [38, '0.3'], [40, '3'], [99, '98']]);
    const replaced = await c.next('8', WAIT);
    expect(fields(replaced, 11, 41, 150, 39, 99)).toEqual([replaceId, id, '5', '0', '98']);

    // Bids to sell into, then a trade at 98 by two other accounts.
    expect((await venue.orders.place('acc-maker', { symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '98', quantity: '1', timeInForce: 'GTC' })).ok).toBe(true);
    expect((await venue.orders.place('acc-taker', { symbol: 'BTC-USD', side: 'sell', orderType: 'limit', price: '98', quantity: '0.2', timeInForce: 'IOC' })).ok).toBe(true);
    const triggered = await c.next('8', WAIT);
    expect(fields(triggered, 11, 37, 150, 39, 40, 99, 151, 14)).toEqual([replaceId, orderId, 'L', '0', '3', '98', '0.3', '0']);
    const fill = await c.next('8', WAIT);
    expect(fields(fill, 37, 150, 39, 32, 31, 14, 151)).toEqual([orderId, 'F', '2', '0.3', '98', '0.3', '0']);
    c.close();
  });
});
