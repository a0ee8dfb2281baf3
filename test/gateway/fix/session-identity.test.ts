/**
 * A FIX session is (account, SenderCompID), and a SenderCompID belongs to one account: the
 * cross-account takeover (an unbound key of account B logging on as account A's CompID), step by
 * step, and the key lifecycle checked before every application message. Real acceptor, real
 * sockets, real signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompIdTakenError } from '../../../server/src/auth/index.js';
import type { Field } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { eventually } from '../../helpers/eventually.js';
import { FixClient, loggedOn, startVenue, type TestKey, type TestVenue } from './harness.js';

const order = (clOrdId: string, side: '1' | '2', price: string): Field[] => [
  [11, clOrdId], [55, 'BTC-USD'], [54, side], [60, formatUtcTimestamp(Date.now())], [38, '1'], [40, '2'], [44, price],
];

async function keyOf(venue: TestVenue, accountId: string, o: { senderCompId?: string; expiresAt?: number; scopes?: ('read' | 'trade')[] } = {}): Promise<TestKey> {
  const created = await venue.keyStore.create({
    accountId, kind: 'hmac', label: 'extra', scopes: o.scopes ?? ['read', 'trade'],
    ...(o.senderCompId !== undefined && { senderCompId: o.senderCompId }), ...(o.expiresAt !== undefined && { expiresAt: o.expiresAt }),
  });
  return { keyId: created.record.keyId, secret: Buffer.from(created.secret!, 'base64url'), accountId, senderCompId: o.senderCompId ?? '' };
}

/** Logs on as `sender` with `key`; resolves with the first answer (Logon or Logout). */
async function attempt(venue: TestVenue, sender: string, key: TestKey, reset = false): Promise<{ client: FixClient; answer: Awaited<ReturnType<FixClient['next']>> }> {
  const client = await FixClient.connect(venue.acceptor.port, sender);
  client.logon(key, { reset });
  client.seq = 2;
  return { client, answer: await client.next() };
}

describe('SenderCompID ownership and the takeover it prevents', () => {
  let venue: TestVenue;
  beforeAll(async () => {
    venue = await startVenue({ clients: { FIXA: 'acc-a', FIXB: 'acc-b' } });
  });
  afterAll(() => venue.close());

  it('refuses, step by step, every way an unbound key of account B could reach account A\'s session', async () => {
    // 1. A trades as FIXA; its session stores the ExecutionReport.
    const a = await loggedOn(venue, 'FIXA', { reset: true });
    a.send('D', order('A-1', '2', '500'));
    const ack = await a.next('8');
    expect([ack.get(11), ack.get(1), ack.get(150)]).toEqual(['A-1', 'acc-a', '0']);

    // 2. B's key without a binding tries FIXA while A is logged on: refused, A untouched.
    const unboundB = await keyOf(venue, 'acc-b');
    const whileLive = await attempt(venue, 'FIXA', unboundB);
    expect(whileLive.answer.msgType).toBe('5');
    expect(whileLive.answer.get(58)).toMatch(/^AUTH_INVALID/);
    expect(venue.acceptor.sessions.get('FIXA')?.isConnected).toBe(true);
    a.send('1', [[112, 'still-mine']]);
    expect((await a.next('0')).get(112)).toBe('still-mine');

    // 3. A logs out; B tries again with a fresh signature: still refused, and with exactly the
    //    answer a CompID that exists nowhere gets, so nothing tells B that FIXA exists.
    a.send('5', []);
    await a.waitClosed();
    const afterLogout = await attempt(venue, 'FIXA', unboundB);
    const nowhere = await attempt(venue, 'NO-SUCH-COMP', unboundB);
    expect(afterLogout.answer.msgType).toBe('5');
    expect(afterLogout.answer.get(58)).toBe(nowhere.answer.get(58));
    expect(afterLogout.answer.get(34)).toBe(nowhere.answer.get(34));
    afterLogout.client.close();
    nowhere.client.close();

    // 4. A's stored report is A's alone: A gets it back on a ResendRequest after logging on again.
    const a2 = await loggedOn(venue, 'FIXA', { seq: a.seq });
    a2.seq = a.seq + 1;
    a2.send('2', [[7, '1'], [16, '0']]);
    const resent = await a2.next('8');
    expect([resent.get(11), resent.get(1), resent.get(43)]).toEqual(['A-1', 'acc-a', 'Y']);
    // ...and A's live fills go to A, never to a B connection.
    const b = await loggedOn(venue, 'FIXB', { reset: true });
    b.send('D', order('B-1', '1', '500'));
    expect((await b.next('8')).get(150)).toBe('0');
    const bFill = await b.next('8');
    expect([bFill.get(11), bFill.get(150), bFill.get(1)]).toEqual(['B-1', 'F', 'acc-b']);
    const aFill = await a2.next('8');
    expect([aFill.get(11), aFill.get(150), aFill.get(1)]).toEqual(['A-1', 'F', 'acc-a']);
    b.close();
    a2.close();

    // 5. Every key of A revoked: FIXA is still A's, and B still cannot use it.
    for (const key of await venue.keyStore.listByAccount('acc-a')) await venue.keyStore.revoke(key.keyId);
    await a2.waitClosed();
    const afterRevoke = await attempt(venue, 'FIXA', unboundB);
    expect(afterRevoke.answer.msgType).toBe('5');
    expect(afterRevoke.answer.get(58)).toMatch(/^AUTH_INVALID/);
    afterRevoke.client.close();

    // 6. Nor can B claim it by binding a key: the store refuses, and nothing is stored.
    await expect(venue.keyStore.create({ accountId: 'acc-b', kind: 'hmac', label: 'grab', scopes: ['trade'], senderCompId: 'FIXA' })).rejects.toBeInstanceOf(CompIdTakenError);
    expect(await venue.keyStore.compIdOwner('FIXA')).toBe('acc-a');
    expect((await venue.keyStore.listByAccount('acc-b')).some((k) => k.senderCompId === 'FIXA')).toBe(false);
  });

  it('lets an unbound key log on with a CompID its own account owns, into that account\'s session', async () => {
    const unboundB = await keyOf(venue, 'acc-b');
    await eventually(() => expect(venue.acceptor.sessions.get('FIXB')?.isConnected ?? false).toBe(false));
    const { client, answer } = await attempt(venue, 'FIXB', unboundB, true);
    expect(answer.msgType).toBe('A');
    const session = venue.acceptor.sessions.get('FIXB')!;
    expect(session.accountId).toBe('acc-b');
    expect(session.key).toBe('FIX.4.4:EXCH->FIXB|acc-b');
    client.close();
  });
});

describe('the key checked before every application message', () => {
  let venue: TestVenue;
  let clock = Date.now();
  beforeAll(async () => {
    clock = Date.now();
    venue = await startVenue({ clients: { LIFE: 'acc-l' }, acceptor: { now: () => clock } });
  });
  afterAll(() => venue.close());

  it('refuses an order sent 1 ms after the key expires, and ends the session', async () => {
    clock = Date.now();
    const expiresAt = clock + 30_000;
    const key = await keyOf(venue, 'acc-l', { senderCompId: 'LIFE', expiresAt });
    const client = await FixClient.connect(venue.acceptor.port, 'LIFE');
    client.logon(key, { reset: true });
    client.seq = 2;
    expect((await client.next()).msgType).toBe('A');
    client.send('D', order('L-1', '1', '100'));
    expect((await client.next('8')).get(150)).toBe('0');

    clock = expiresAt + 1;
    client.send('D', order('L-2', '1', '100'));
    const refused = await client.next('j');
    expect([refused.get(380), refused.get(379)]).toEqual(['6', 'L-2']);
    expect(refused.get(58)).toBe('AUTH_INVALID: the API key expired');
    expect((await client.next('5')).get(58)).toBe('AUTH_INVALID: the API key expired');
    await client.waitClosed();
    expect(venue.bus.core.order('acc-l', { clientOrderId: 'L-2' })).toBeUndefined();
  });

  it('refuses an order sent 1 ms after the key is revoked (even before the Logout is answered), and ends the session', async () => {
    clock = Date.now();
    const key = await keyOf(venue, 'acc-l', { senderCompId: 'LIFE' });
    const client = await FixClient.connect(venue.acceptor.port, 'LIFE');
    client.logon(key, { reset: true });
    client.seq = 2;
    expect((await client.next()).msgType).toBe('A');

    await venue.keyStore.revoke(key.keyId, clock);
    clock += 1;
    client.send('D', order('R-1', '1', '100'));
    expect((await client.next('5')).get(58)).toBe('AUTH_INVALID: the API key was revoked');
    const refused = await client.next('j');
    expect([refused.get(380), refused.get(58)]).toEqual(['6', 'AUTH_INVALID: the API key was revoked']);
    await client.waitClosed();
    expect(venue.bus.core.order('acc-l', { clientOrderId: 'R-1' })).toBeUndefined();
  });
});

describe('per-session settings from the key', () => {
  let venue: TestVenue;
  beforeAll(async () => {
    venue = await startVenue({ clients: { DESK: 'acc-d' } });
  });
  afterAll(() => venue.close());

  it('lets a read-only key with fixSession.dropCopy log on as a drop copy that sees other channels and sends no orders; without it, refuses', async () => {
    const created = await venue.keyStore.create({ accountId: 'acc-d', kind: 'hmac', label: 'copy', scopes: ['read'], senderCompId: 'DESK-DC', fixSession: { dropCopy: true } });
    const copyKey: TestKey = { keyId: created.record.keyId, secret: Buffer.from(created.secret!, 'base64url'), accountId: 'acc-d', senderCompId: 'DESK-DC' };
    const { client: copy, answer } = await attempt(venue, 'DESK-DC', copyKey, true);
    expect(answer.msgType).toBe('A');
    // An order placed through order entry on another channel reaches the drop copy.
    const placed = await venue.orders.place('acc-d', { symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '100', quantity: '1', timeInForce: 'GTC', clientOrderId: 'REST-1' });
    expect(placed.ok).toBe(true);
    const report = await copy.next('8');
    expect([report.get(11), report.get(150), report.get(1)]).toEqual(['REST-1', '0', 'acc-d']);
    copy.send('D', order('DC-1', '1', '100'));
    const refused = await copy.next('j');
    expect(refused.get(380)).toBe('6');
    copy.close();

    const plain = await venue.keyStore.create({ accountId: 'acc-d', kind: 'hmac', label: 'read', scopes: ['read'], senderCompId: 'DESK-RO' });
    const roKey: TestKey = { keyId: plain.record.keyId, secret: Buffer.from(plain.secret!, 'base64url'), accountId: 'acc-d', senderCompId: 'DESK-RO' };
    const { answer: roAnswer } = await attempt(venue, 'DESK-RO', roKey, true);
    expect(roAnswer.msgType).toBe('5');
    expect(roAnswer.get(58)).toMatch(/^AUTH_SCOPE_MISSING/);
  });

  it('applies the key\'s HeartBtInt bounds at Logon', async () => {
    const created = await venue.keyStore.create({ accountId: 'acc-d', kind: 'hmac', label: 'hb', scopes: ['trade'], senderCompId: 'DESK-HB', fixSession: { minHeartBtInt: 10, maxHeartBtInt: 20 } });
    const key: TestKey = { keyId: created.record.keyId, secret: Buffer.from(created.secret!, 'base64url'), accountId: 'acc-d', senderCompId: 'DESK-HB' };
    const client = await FixClient.connect(venue.acceptor.port, 'DESK-HB');
    client.logon(key, { heartBtInt: 30, reset: true });
    const refused = await client.next();
    expect([refused.msgType, refused.get(58)]).toEqual(['5', 'HeartBtInt must be between 10 and 20']);
  });
});
