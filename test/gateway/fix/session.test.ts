/**
 * Session-layer scenarios over real TCP, after the public FIX session test cases (the QuickFIX
 * acceptance definitions 1a..20 and friends): logon, sequence numbers, resend and gap fill,
 * heartbeats, logout, persistence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import type { FixSession } from '../../../server/src/gateway/fix/session.js';
import { eventually } from '../../helpers/eventually.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { FixClient, loggedOn, startVenue, type TestVenue } from './harness.js';

const ts = (offsetMs = 0): string => formatUtcTimestamp(Date.now() + offsetMs);
const clients = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`C${i}`, 'acc-1']));
let venue: TestVenue;

beforeAll(async () => {
  venue = await startVenue({ clients, acceptor: { sessions: { C30: { resetOnLogon: true } }, defaults: { logoutTimeoutMs: 500 } } });
});
afterAll(async () => venue.close());

describe('logon', () => {
  it('1a: answers a valid Logon with a Logon (MsgSeqNum 1, EncryptMethod 0, the same HeartBtInt)', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C0');
    c.logon(venue.keys.C0!, { heartBtInt: 30 });
    const reply = await c.next();
    expect(reply.msgType).toBe('A');
    expect([reply.get(34), reply.get(49), reply.get(56), reply.get(98), reply.get(108)]).toEqual(['1', 'EXCH', 'C0', '0', '30']);
    c.close();
  });

  it('1a: a Logon with MsgSeqNum too high is answered, then a ResendRequest from 1 to infinity follows', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C1');
    c.logon(venue.keys.C1!, { seq: 5 });
    expect((await c.next()).msgType).toBe('A');
    const rr = await c.next();
    expect([rr.msgType, rr.get(34), rr.get(7), rr.get(16)]).toEqual(['2', '2', '1', '0']);
    c.close();
  });

  it('1b: a second Logon for a logged-on session is refused without disturbing it', async () => {
    const first = await loggedOn(venue, 'C2');
    const second = await FixClient.connect(venue.acceptor.port, 'C2');
    second.logon(venue.keys.C2!, { seq: 1 });
    await second.waitClosed();
    expect(second.received).toEqual([]);
    first.send('1', [[112, 'STILL-THERE']]);
    const hb = await first.next('0');
    expect([hb.get(34), hb.get(112)]).toEqual(['2', 'STILL-THERE']);
    first.close();
  });

  it('1c: a Logon with the wrong TargetCompID is dropped without an answer', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C3', 'NOT-US');
    c.logon(venue.keys.C3!);
    await c.waitClosed();
    expect(c.received).toEqual([]);
  });

  it('1d: a Logon with a SendingTime far from our clock is dropped', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C3');
    c.send('A', [[98, '0'], [108, '30'], [553, venue.keys.C3!.keyId], [554, 'AAAA']], { sendingTime: '20010101-00:00:00' });
    await c.waitClosed();
    expect(c.received).toEqual([]);
  });

  it('1e: a first message that is not a Logon is dropped', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C3');
    c.send('0');
    await c.waitClosed();
    expect(c.received).toEqual([]);
  });

  it('refuses a bad signature with a Logout naming the reason, then disconnects, without consuming sequence numbers', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C4');
    c.logon(venue.keys.C4!, { signature: Buffer.alloc(32, 1).toString('base64') });
    const logout = await c.next();
    expect(logout.msgType).toBe('5');
    expect(logout.get(58)).toMatch(/^AUTH_INVALID/);
    expect(logout.get(34)).toBe('1');
    await c.waitClosed();
    const ok = await loggedOn(venue, 'C4');
    expect(ok.received[0]!.get(34)).toBe('1');
    ok.close();
  });

  it('refuses a SenderCompID that is not the one bound to the key', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C5');
    c.logon(venue.keys.C6!); // C6's key, signed for SenderCompID C5
    const logout = await c.next();
    expect([logout.msgType, logout.get(58)?.split(':')[0]]).toEqual(['5', 'AUTH_INVALID']);
    await c.waitClosed();
  });

  it('accepts the signature in RawData(96) with RawDataLength(95)', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C7');
    const key = venue.keys.C7!;
    const sendingTime = ts();
    const { signLogon } = await import('./harness.js');
    const sig = signLogon(key.secret, sendingTime, 1, 'C7');
    c.send('A', [[98, '0'], [108, '30'], [95, String(sig.length)], [96, sig], [553, key.keyId]], { sendingTime });
    expect((await c.next()).msgType).toBe('A');
    c.close();
  });

  it('throttles repeated failed Logons: the key is locked out even for a correct signature', async () => {
    for (let i = 0; i < 10; i++) {
      const c = await FixClient.connect(venue.acceptor.port, 'C8');
      c.logon(venue.keys.C8!, { signature: Buffer.alloc(32, i + 2).toString('base64') });
      await c.waitClosed();
    }
    const c = await FixClient.connect(venue.acceptor.port, 'C8');
    c.logon(venue.keys.C8!);
    const logout = await c.next();
    expect(logout.get(58)).toMatch(/^AUTH_LOCKED_OUT/);
    await c.waitClosed();
  });

  it('refuses a Logon that fails dictionary validation with a Logout', async () => {
    const c = await FixClient.connect(venue.acceptor.port, 'C9');
    c.logon(venue.keys.C9!, { extra: [[4999, 'X']] });
    const logout = await c.next();
    expect([logout.msgType, logout.get(58)]).toEqual(['5', 'Invalid tag number (tag 4999)']);
    await c.waitClosed();
  });
});

describe('sequence numbers', () => {
  it('2b: queues a message with MsgSeqNum too high, asks for a resend, and processes it once the gap is filled', async () => {
    const c = await loggedOn(venue, 'C10');
    c.send('0'); c.send('0'); c.send('0'); // 2, 3, 4
    c.send('1', [[112, 'QUEUED']], { seq: 10 });
    const rr = await c.next();
    expect([rr.msgType, rr.get(7), rr.get(16)]).toEqual(['2', '5', '0']);
    // The queued TestRequest must not be answered yet: an in-order one sent after the
    // ResendRequest is answered first (an early answer to 10 would have left before it).
    c.send('1', [[112, 'IN-ORDER']], { seq: 5 });
    const first = await c.next();
    expect([first.msgType, first.get(112)]).toEqual(['0', 'IN-ORDER']);
    for (let s = 6; s <= 9; s++) c.send('0', [], { seq: s });
    const hb = await c.next();
    expect([hb.msgType, hb.get(112)]).toEqual(['0', 'QUEUED']);
    c.send('5', [], { seq: 11 });
    const logout = await c.next('5');
    expect(logout.get(34)).toBe('5'); // Logon, ResendRequest, two Heartbeats, Logout
    await c.waitClosed();
  });

  it('2b: a SequenceReset-GapFill from the counterparty fills the gap', async () => {
    const c = await loggedOn(venue, 'C11');
    c.send('1', [[112, 'AFTER-GAP']], { seq: 6 });
    expect((await c.next('2')).get(7)).toBe('2');
    c.send('4', [[123, 'Y'], [36, '6']], { seq: 2, header: [[43, 'Y'], [122, ts()]] });
    expect((await c.next('0')).get(112)).toBe('AFTER-GAP');
    c.close();
  });

  it('2c: MsgSeqNum too low without PossDupFlag gives a Logout with the reason, then a disconnect', async () => {
    const c = await loggedOn(venue, 'C12');
    c.send('0'); c.send('0'); c.send('0');
    c.send('0', [], { seq: 2 });
    const logout = await c.next('5');
    expect(logout.get(58)).toBe('MsgSeqNum too low, expecting 5 but received 2');
    await c.waitClosed();
  });

  it('2e: a PossDup message already received is ignored', async () => {
    const c = await loggedOn(venue, 'C13');
    c.send('0');
    c.send('1', [[112, 'DUP']], { seq: 2, header: [[43, 'Y'], [122, ts(-1000)]] });
    c.send('1', [[112, 'NEXT']]); // a reply to the duplicate would arrive before this one's
    expect((await c.next()).get(112)).toBe('NEXT');
    c.close();
  });

  it('2f: a PossDup message with OrigSendingTime later than SendingTime gives a Reject and a Logout', async () => {
    const c = await loggedOn(venue, 'C14');
    c.send('0'); c.send('0');
    c.send('0', [], { seq: 2, header: [[43, 'Y'], [122, ts(10_000)]] });
    const reject = await c.next();
    expect([reject.msgType, reject.get(45), reject.get(372), reject.get(373), reject.get(58)]).toEqual(['3', '2', '0', '10', 'SendingTime accuracy problem']);
    expect((await c.next()).msgType).toBe('5');
    c.send('5');
    await c.waitClosed();
  });

  it('2g: a PossDup message without OrigSendingTime gives a Reject and does not consume a sequence number', async () => {
    const c = await loggedOn(venue, 'C15');
    c.send('0'); c.send('0'); // 2, 3
    c.send('0', [], { seq: 2, header: [[43, 'Y']] });
    const reject = await c.next();
    expect([reject.msgType, reject.get(45), reject.get(371), reject.get(373)]).toEqual(['3', '2', '122', '1']);
    c.send('1', [[112, 'HELLO']]); // 4
    expect((await c.next()).get(112)).toBe('HELLO');
    c.close();
  });

  it('SequenceReset-Reset moves the expected number up, and a lower NewSeqNo is rejected', async () => {
    const c = await loggedOn(venue, 'C16');
    c.send('4', [[36, '20']], { seq: 0 });
    c.send('1', [[112, 'AT-20']], { seq: 20 });
    expect((await c.next()).get(112)).toBe('AT-20');
    c.send('4', [[36, '3']], { seq: 0 });
    const reject = await c.next();
    expect([reject.msgType, reject.get(372), reject.get(373), reject.get(371)]).toEqual(['3', '4', '5', '36']);
    c.send('1', [[112, 'AT-21']], { seq: 21 });
    expect((await c.next()).get(112)).toBe('AT-21');
    c.close();
  });

  it('ResendRequest: admin messages become one SequenceReset-GapFill per run', async () => {
    const c = await loggedOn(venue, 'C17');
    c.send('1', [[112, 'A']]); // our 2: Heartbeat
    c.send('1', [[112, 'B']]); // our 3: Heartbeat
    await c.next('0'); await c.next('0');
    c.send('2', [[7, '1'], [16, '0']]);
    const gap = await c.next();
    expect([gap.msgType, gap.get(34), gap.get(43), gap.get(123), gap.get(36)]).toEqual(['4', '1', 'Y', 'Y', '4']);
    expect(gap.get(122)).toBeDefined();
    c.close();
  });
});

describe('heartbeats and test requests', () => {
  it('4b: answers a TestRequest with a Heartbeat carrying its TestReqID', async () => {
    const c = await loggedOn(venue, 'C18');
    c.send('1', [[112, 'PING-1']]);
    const hb = await c.next();
    expect([hb.msgType, hb.get(112)]).toEqual(['0', 'PING-1']);
    c.close();
  });
});

describe('heartbeats, test requests and the Logout timeout, on the session clock', () => {
  // The sessions' time is moved by hand and their timer driven by the test, so no real delay can
  // reorder or skip a step. The acceptor's own interval still ticks, but on a clock that stands still.
  const clock = new ManualClock(Date.now());
  let clocked: TestVenue;
  beforeAll(async () => {
    clocked = await startVenue({ clients: { H1: 'acc-1', H2: 'acc-1', H3: 'acc-1' }, acceptor: { now: () => clock.now(), defaults: { logoutTimeoutMs: 500 } } });
  });
  afterAll(async () => clocked.close());

  const tick = (session: FixSession, ms: number): void => {
    clock.advance(ms);
    session.onTimer();
  };

  it('4a/6: sends a Heartbeat when idle for HeartBtInt, a TestRequest when the peer is silent for 1.2x, then disconnects at 2.4x', async () => {
    const c = await loggedOn(clocked, 'H1', { heartBtInt: 1 });
    const session = clocked.acceptor.sessions.get('H1')!;
    tick(session, 999);
    tick(session, 1);
    expect((await c.next()).msgType).toBe('0');
    tick(session, 200);
    const tr = await c.next();
    expect([tr.msgType, tr.get(112)]).toEqual(['1', `TEST-${clock.now()}`]);
    tick(session, 1199);
    expect(session.isConnected).toBe(true);
    tick(session, 1);
    expect(session.isConnected).toBe(false);
    await c.waitClosed();
    expect(c.received.slice(1).map((m) => m.msgType)).toEqual(['0', '1', '0']);
  });

  it('keeps a session alive while the peer answers TestRequests', async () => {
    const c = await loggedOn(clocked, 'H2', { heartBtInt: 1 });
    const session = clocked.acceptor.sessions.get('H2')!;
    // Three silences of 1.2 s, 3.6 s in all: past the 2.4 s after which an unanswered session ends.
    for (let round = 0; round < 3; round++) {
      tick(session, 1200);
      const tr = await c.next();
      expect(tr.msgType).toBe('1');
      c.send('0', [[112, tr.get(112)!]]);
      await eventually(() => expect(session.expectedTargetSeq).toBe(c.seq));
    }
    expect(session.isConnected).toBe(true);
    expect(c.closed).toBe(false);
    c.close();
  });

  it('a Logout we start times out when the counterparty does not answer', async () => {
    const c = await loggedOn(clocked, 'H3');
    const session = clocked.acceptor.sessions.get('H3')!;
    session.logout();
    await c.next('5');
    tick(session, 499);
    expect(session.isConnected).toBe(true);
    tick(session, 1); // the venue's logoutTimeoutMs
    expect(session.isConnected).toBe(false);
    await c.waitClosed();
  });
});

describe('logout', () => {
  it('13b: answers a Logout with a Logout and disconnects', async () => {
    const c = await loggedOn(venue, 'C21');
    c.send('5');
    const logout = await c.next();
    expect([logout.msgType, logout.get(34)]).toEqual(['5', '2']);
    await c.waitClosed();
  });

  it('a Logout we start ends on the counterparty reply', async () => {
    const c = await loggedOn(venue, 'C22');
    venue.acceptor.sessions.get('C22')!.logout('maintenance');
    const logout = await c.next('5');
    expect(logout.get(58)).toBe('maintenance');
    expect(c.closed).toBe(false);
    c.send('5');
    await c.waitClosed();
  });

  it('2i: a wrong BeginString gives a Logout "Incorrect BeginString"', async () => {
    const c = await loggedOn(venue, 'C24');
    c.send('1', [[112, 'id']], { beginString: 'FIX.4.1' });
    const logout = await c.next();
    expect([logout.msgType, logout.get(58)]).toEqual(['5', 'Incorrect BeginString']);
    await c.waitClosed();
  });
});

describe('persistence and reset', () => {
  it('resumes sequence numbers after an acceptor restart', async () => {
    const c = await loggedOn(venue, 'C25');
    c.send('1', [[112, 'X']]); // in 2, out 2
    await c.next('0');
    c.send('5'); // in 3, out 3
    await c.next('5');
    await c.waitClosed();
    await venue.restart();
    const again = await FixClient.connect(venue.acceptor.port, 'C25');
    again.logon(venue.keys.C25!, { seq: 4 });
    const reply = await again.next();
    expect([reply.msgType, reply.get(34)]).toEqual(['A', '4']);
    again.seq = 5;
    again.send('1', [[112, 'Y']]);
    expect((await again.next()).get(112)).toBe('Y');
    again.close();
  });

  it('ResetSeqNumFlag=Y on Logon restarts both sides at 1 and is echoed', async () => {
    const c = await loggedOn(venue, 'C26');
    c.send('5');
    await c.next('5');
    await c.waitClosed();
    const again = await FixClient.connect(venue.acceptor.port, 'C26');
    again.logon(venue.keys.C26!, { seq: 1, reset: true });
    const reply = await again.next();
    expect([reply.msgType, reply.get(34), reply.get(141)]).toEqual(['A', '1', 'Y']);
    again.close();
  });

  it('an in-session Logon with ResetSeqNumFlag=Y and MsgSeqNum 1 restarts both sides at 1, not "MsgSeqNum too low"', async () => {
    const c = await loggedOn(venue, 'C28', { reset: true });
    for (const id of ['a', 'b', 'c']) {
      c.send('1', [[112, id]]);
      expect((await c.next('0')).get(112)).toBe(id);
    }
    c.logon(venue.keys.C28!, { seq: 1, reset: true });
    const reply = await c.next();
    expect([reply.msgType, reply.get(34), reply.get(141)]).toEqual(['A', '1', 'Y']);
    // Both sides go on from 2.
    c.seq = 2;
    c.send('1', [[112, 'after']]);
    const hb = await c.next('0');
    expect([hb.get(112), hb.get(34)]).toEqual(['after', '2']);
    expect(venue.acceptor.sessions.get('C28')!.expectedTargetSeq).toBe(3);
    c.close();
  });

  it('ResetOnLogon configured for a session starts each Logon at 1', async () => {
    const c = await loggedOn(venue, 'C30');
    c.send('1', [[112, 'X']]);
    await c.next('0');
    c.send('5');
    await c.next('5');
    await c.waitClosed();
    const again = await loggedOn(venue, 'C30', { seq: 1 });
    expect(again.received[0]!.get(34)).toBe('1');
    again.close();
  });

  it('a Logon with MsgSeqNum lower than expected is refused with a Logout', async () => {
    const c = await loggedOn(venue, 'C27');
    c.send('0'); c.send('5');
    await c.next('5');
    await c.waitClosed();
    const again = await FixClient.connect(venue.acceptor.port, 'C27');
    again.logon(venue.keys.C27!, { seq: 1 });
    const logout = await again.next();
    expect([logout.msgType, logout.get(58)]).toEqual(['5', 'MsgSeqNum too low, expecting 4 but received 1']);
    await again.waitClosed();
  });
});
