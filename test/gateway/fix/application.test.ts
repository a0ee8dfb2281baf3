/**
 * Order entry over FIX against the real core through the in-memory sequencer: ExecutionReports
 * for New, Trade, Canceled, Replaced, Rejected, Expired and Order Status; OrderCancelReject;
 * OrderMassCancelReport; drop copy; cancel-on-disconnect; resend of ExecutionReports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { eventually } from '../../helpers/eventually.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { FixClient, loggedOn, startVenue, type TestVenue } from './harness.js';

const ts = (offsetMs = 0): string => formatUtcTimestamp(Date.now() + offsetMs);
let venue: TestVenue;
// The core's time: it follows the real clock, and a test moves it past a GTD order's expiry instead of sleeping.
const coreClock = new ManualClock(Date.now(), true);
let ids = 0;
const clOrdId = (): string => `O${++ids}`;

beforeAll(async () => {
  venue = await startVenue({
    clients: { BUYER: 'acc-b', SELLER: 'acc-s', DROP: 'acc-b', COD: 'acc-c', OTHER: 'acc-c', DROPS: 'acc-s' },
    acceptor: { sessions: { DROP: { dropCopy: true }, DROPS: { dropCopy: true }, COD: { cancelOnDisconnect: true } } },
    sequencerClock: coreClock,
  });
});
afterAll(async () => venue.close());

function newOrder(id: string, side: '1' | '2', qty: string, price?: string, extra: Field[] = []): Field[] {
  const f: Field[] = [[11, id], [55, 'BTC-USD'], [54, side], [60, ts()], [38, qty], [40, price ? '2' : '1']];
  if (price) f.push([44, price]);
  return [...f, ...extra];
}

const fields = (m: FixMessage, ...tags: number[]): Array<string | undefined> => tags.map((t) => m.get(t));

describe('NewOrderSingle', () => {
  it('acknowledges a limit order with ExecType=New and the order state', async () => {
    const c = await loggedOn(venue, 'BUYER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '1', '1.5', '100.25'));
    const er = await c.next('8');
    expect(fields(er, 11, 150, 39, 54, 55, 38, 44, 151, 14, 6, 1)).toEqual([id, '0', '0', '1', 'BTC-USD', '1.5', '100.25', '1.5', '0', '0', 'acc-b']);
    expect(er.get(37)).toBeTruthy();
    expect(er.get(17)).toMatch(/^\d+$/);
    c.close();
  });

  it('reports partial and full fills to both sides with LastQty, LastPx, CumQty, LeavesQty and AvgPx', async () => {
    const buyer = await loggedOn(venue, 'BUYER', { reset: true });
    const seller = await loggedOn(venue, 'SELLER', { reset: true });
    const sellId = clOrdId();
    seller.send('D', newOrder(sellId, '2', '2', '200'));
    expect((await seller.next('8')).get(150)).toBe('0');
    const buyId = clOrdId();
    buyer.send('D', newOrder(buyId, '1', '0.5', '200'));
    const ack = await buyer.next('8');
    expect(fields(ack, 11, 150)).toEqual([buyId, '0']);
    const fill = await buyer.next('8');
    expect(fields(fill, 11, 150, 39, 32, 31, 14, 151, 6, 851)).toEqual([buyId, 'F', '2', '0.5', '200', '0.5', '0', '200', '2']);
    const makerFill = await seller.next('8');
    expect(fields(makerFill, 11, 150, 39, 32, 31, 14, 151, 6, 851)).toEqual([sellId, 'F', '1', '0.5', '200', '0.5', '1.5', '200', '1']);
    expect(makerFill.get(527)).toBe(fill.get(527)); // same trade id on both sides
    expect(makerFill.get(17)).not.toBe(fill.get(17));
    buyer.close();
    seller.close();
  });

  it('rejects an order the core refuses, with OrdRejReason and the reject code in Text', async () => {
    const c = await loggedOn(venue, 'SELLER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '1', '1', '100.001'));
    const er = await c.next('8');
    expect(fields(er, 11, 150, 39, 37, 151, 14)).toEqual([id, '8', '8', 'NONE', '0', '0']);
    expect(er.get(58)).toMatch(/^PRICE_OFF_TICK/);
    expect(er.get(103)).toBe('99');
    const unknown = clOrdId();
    c.send('D', [[11, unknown], [55, 'NOPE-USD'], [54, '1'], [60, ts()], [38, '1'], [40, '2'], [44, '1']]);
    const er2 = await c.next('8');
    expect(fields(er2, 150, 103)).toEqual(['8', '1']);
    c.close();
  });

  it('rejects an Account(1) that is not the key\'s account', async () => {
    const c = await loggedOn(venue, 'SELLER', { reset: true });
    c.send('D', newOrder(clOrdId(), '1', '1', '10', [[1, 'acc-b']]));
    const er = await c.next('8');
    expect(fields(er, 150, 103)).toEqual(['8', '15']);
    c.close();
  });

  it('expires an IOC remainder with ExecType=Canceled, and a GTD order with ExecType=Expired', async () => {
    const c = await loggedOn(venue, 'OTHER', { reset: true });
    const ioc = clOrdId();
    c.send('D', newOrder(ioc, '1', '1', '1', [[59, '3']]));
    expect((await c.next('8')).get(150)).toBe('0');
    const canceled = await c.next('8');
    expect(fields(canceled, 11, 150, 39, 151)).toEqual([ioc, '4', '4', '0']);
    const gtd = clOrdId();
    // A minute ahead, so the order is live however long it takes to arrive; then the core's time passes it.
    c.send('D', newOrder(gtd, '1', '1', '1', [[59, '6'], [126, formatUtcTimestamp(coreClock.now() + 60_000)]]));
    expect((await c.next('8')).get(150)).toBe('0');
    coreClock.advance(60_000);
    await venue.bus.submit({ type: 'ExpireOrders' });
    const expired = await c.next('8');
    expect(fields(expired, 11, 150, 39)).toEqual([gtd, 'C', 'C']);
    c.close();
  });
});

describe('cancel, replace, status, mass cancel', () => {
  it('cancels an order: ExecType=Canceled with the request ClOrdID and OrigClOrdID', async () => {
    const c = await loggedOn(venue, 'OTHER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '1', '1', '5'));
    const ack = await c.next('8');
    const cancelId = clOrdId();
    c.send('F', [[41, id], [11, cancelId], [55, 'BTC-USD'], [54, '1'], [60, ts()]]);
    const er = await c.next('8');
    expect(fields(er, 11, 41, 37, 150, 39, 151)).toEqual([cancelId, id, ack.get(37), '4', '4', '0']);
    c.send('F', [[41, id], [11, clOrdId()], [55, 'BTC-USD'], [54, '1'], [60, ts()]]);
    const ocr = await c.next('9');
    // The order is finished, not unknown: too late to cancel, with its final status and OrderID.
    expect(fields(ocr, 41, 434, 102, 39, 37)).toEqual([id, '1', '0', '4', ack.get(37)]);
    // Replacing it is too late as well.
    c.send('G', [[41, id], [11, clOrdId()], [55, 'BTC-USD'], [54, '1'], [60, ts()], [38, '2'], [40, '2'], [44, '6']]);
    expect(fields(await c.next('9'), 434, 102, 39, 37)).toEqual(['2', '0', '4', ack.get(37)]);
    c.close();
  });

  it('reports the final state of a filled order on an OrderStatusRequest, and refuses to cancel it as too late', async () => {
    const buyer = await loggedOn(venue, 'OTHER', { reset: true });
    const seller = await loggedOn(venue, 'SELLER', { reset: true });
    // A bid above every other bid and below every ask, then a sell that meets exactly it.
    const buyId = clOrdId();
    buyer.send('D', newOrder(buyId, '1', '0.25', '150'));
    expect((await buyer.next('8')).get(150)).toBe('0');
    const sellId = clOrdId();
    seller.send('D', newOrder(sellId, '2', '0.25', '150'));
    expect((await seller.next('8')).get(150)).toBe('0');
    expect(fields(await seller.next('8'), 150, 39)).toEqual(['F', '2']);
    expect(fields(await buyer.next('8'), 150, 39)).toEqual(['F', '2']);

    seller.send('H', [[11, sellId], [55, 'BTC-USD'], [54, '2']]);
    const status = await seller.next('8');
    expect(fields(status, 11, 150, 39, 14, 151, 6)).toEqual([sellId, 'I', '2', '0.25', '0', '150']);
    seller.send('F', [[41, sellId], [11, clOrdId()], [55, 'BTC-USD'], [54, '2'], [60, ts()]]);
    expect(fields(await seller.next('9'), 41, 102, 39, 37)).toEqual([sellId, '0', '2', status.get(37)]);
    buyer.close();
    seller.close();
  });

  it('replaces price and quantity: ExecType=Replaced under the new ClOrdID', async () => {
    const c = await loggedOn(venue, 'OTHER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '1', '1', '5'));
    const ack = await c.next('8');
    const newId = clOrdId();
    c.send('G', [[41, id], [11, newId], [55, 'BTC-USD'], [54, '1'], [60, ts()], [38, '2'], [40, '2'], [44, '6']]);
    const er = await c.next('8');
    expect(fields(er, 11, 41, 37, 150, 39, 38, 44, 151)).toEqual([newId, id, ack.get(37), '5', '0', '2', '6', '2']);
    c.send('G', [[41, 'NOPE'], [11, clOrdId()], [55, 'BTC-USD'], [54, '1'], [60, ts()], [38, '2'], [40, '2'], [44, '6']]);
    const ocr = await c.next('9');
    expect(fields(ocr, 434, 102, 37, 39)).toEqual(['2', '1', 'NONE', '8']);
    c.send('H', [[11, newId], [55, 'BTC-USD'], [54, '1']]);
    const status = await c.next('8');
    expect(fields(status, 11, 150, 39, 38, 44)).toEqual([newId, 'I', '0', '2', '6']);
    c.send('H', [[11, 'UNKNOWN'], [55, 'BTC-USD'], [54, '1']]);
    const unknown = await c.next('8');
    expect(fields(unknown, 150, 39, 37)).toEqual(['I', '8', 'NONE']);
    c.close();
  });

  it('mass-cancels every open order and reports how many', async () => {
    const c = await loggedOn(venue, 'OTHER', { reset: true });
    for (let i = 0; i < 3; i++) {
      c.send('D', newOrder(clOrdId(), '1', '1', '3'));
      await c.next('8');
    }
    const open = venue.bus.core.openOrders('acc-c').length;
    const id = clOrdId();
    c.send('q', [[11, id], [530, '7'], [60, ts()]]);
    const report = await c.next('r');
    expect(fields(report, 11, 530, 531, 533)).toEqual([id, '7', '7', String(open)]);
    expect(venue.bus.core.openOrders('acc-c')).toEqual([]);
    c.send('q', [[11, clOrdId()], [530, '1'], [60, ts()]]);
    const refused = await c.next('r');
    expect(fields(refused, 531, 532)).toEqual(['0', '1']);
    c.close();
  });
});

describe('drop copy', () => {
  it('receives ExecutionReports for all of the account\'s activity, with the same ExecIDs, and cannot trade', async () => {
    const drop = await loggedOn(venue, 'DROP', { reset: true });
    const buyer = await loggedOn(venue, 'BUYER', { reset: true });
    const id = clOrdId();
    buyer.send('D', newOrder(id, '1', '0.25', '7'));
    const own = await buyer.next('8');
    const copy = await drop.next('8');
    expect(fields(copy, 11, 150, 17, 37)).toEqual([id, '0', own.get(17), own.get(37)]);
    // An order from another channel (submitted straight to the bus, as REST does) is copied too.
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-b', symbol: 'BTC-USD', clientOrderId: 'rest-1', side: 'buy', orderType: 'limit', price: '7', quantity: '1', timeInForce: 'GTC' });
    expect(fields(await drop.next('8'), 11, 150)).toEqual(['rest-1', '0']);
    // Not this session's order: a report to it would go out with the drop copy's, so before this TestRequest's answer.
    buyer.send('1', [[112, 'AFTER-REST-1']]);
    const answer = await buyer.next();
    expect([answer.msgType, answer.get(112)]).toEqual(['0', 'AFTER-REST-1']);
    // A rejection on another channel reaches the drop copy as a Rejected report with the order's side.
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-b', symbol: 'BTC-USD', clientOrderId: 'rest-bad', side: 'sell', orderType: 'limit', price: '7.001', quantity: '1', timeInForce: 'GTC' });
    const rejected = await drop.next('8');
    expect(fields(rejected, 11, 150, 39, 54)).toEqual(['rest-bad', '8', '8', '2']);
    expect(rejected.get(58)).toMatch(/^PRICE_OFF_TICK/);
    drop.send('D', newOrder(clOrdId(), '1', '1', '7'));
    expect(fields(await drop.next('j'), 372, 380)).toEqual(['D', '6']);
    drop.close();
    buyer.close();
  });
});

describe('cancel-on-disconnect and resend', () => {
  it('cancels the session\'s open orders when it disconnects, and only those', async () => {
    const c = await loggedOn(venue, 'COD', { reset: true });
    c.send('D', newOrder(clOrdId(), '1', '1', '2'));
    const ack = await c.next('8');
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-c', symbol: 'BTC-USD', clientOrderId: 'rest-c', side: 'buy', orderType: 'limit', price: '2', quantity: '1', timeInForce: 'GTC' });
    c.close();
    await eventually(() => expect(venue.bus.core.order('acc-c', { orderId: ack.get(37)! })?.status).toBe('canceled'));
    expect(venue.bus.core.order('acc-c', { clientOrderId: 'rest-c' })?.status).toBe('new');
  });

  it('stores reports made while logged out, and resends them with PossDupFlag=Y and OrigSendingTime', async () => {
    await venue.bus.submit({ type: 'CancelAll', accountId: 'acc-s' });
    const c = await loggedOn(venue, 'SELLER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '2', '1', '900'));
    const ack = await c.next('8');
    c.send('5');
    await c.next('5');
    await c.waitClosed();
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-b', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '900', quantity: '1', timeInForce: 'IOC' });
    const again = await FixClient.connect(venue.acceptor.port, 'SELLER');
    again.logon(venue.keys.SELLER!, { seq: 4 });
    const logon = await again.next('A');
    const lastSeen = Number(ack.get(34)) + 1; // our Logout came after the ack
    expect(Number(logon.get(34))).toBeGreaterThan(lastSeen + 1);
    again.seq = 5;
    again.send('2', [[7, String(lastSeen + 1)], [16, '0']]);
    const resent = await again.next('8');
    expect(fields(resent, 11, 150, 39, 43)).toEqual([id, 'F', '2', 'Y']);
    expect(resent.get(122)).toBeDefined();
    expect(resent.get(122)! <= resent.get(52)!).toBe(true);
    again.close();
  });

  it('stores reports for a session that has not logged on since an acceptor restart, and resends them', async () => {
    await venue.bus.submit({ type: 'CancelAll', accountId: 'acc-s' });
    const c = await loggedOn(venue, 'SELLER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '2', '1', '901'));
    const ack = await c.next('8');
    c.send('5');
    await c.next('5');
    await c.waitClosed();
    await venue.restart();
    // The fill happens while no SELLER session exists in the restarted acceptor.
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-b', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '901', quantity: '1', timeInForce: 'IOC' });
    const again = await FixClient.connect(venue.acceptor.port, 'SELLER');
    again.logon(venue.keys.SELLER!, { seq: 4 });
    const logon = await again.next('A');
    const lastSeen = Number(ack.get(34)) + 1;
    expect(Number(logon.get(34))).toBeGreaterThan(lastSeen + 1);
    again.seq = 5;
    again.send('2', [[7, String(lastSeen + 1)], [16, '0']]);
    const resent = await again.next('8');
    expect(fields(resent, 11, 150, 39, 43)).toEqual([id, 'F', '2', 'Y']);
    again.close();
  });
});
