/**
 * Field validation and message-level checks over real TCP, after the FIX session test cases
 * 2d, 2k, 2o, 2q, 2r, 2t, 3b, 14a-14i (field by field, for every message, in dictionary-conformance.test.ts) and the reverse-route cases. Each reject must name
 * RefSeqNum, RefTagID, RefMsgType and SessionRejectReason, and consume the sequence number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum, encodeMessage, type Field } from '../../../server/src/gateway/fix/codec.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { loggedOn, startVenue, type FixClient, type TestVenue } from './harness.js';

const ts = (offsetMs = 0): string => formatUtcTimestamp(Date.now() + offsetMs);
let venue: TestVenue;
let n = 0;
const clients = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`V${i}`, 'acc-1']));

beforeAll(async () => {
  venue = await startVenue({ clients, acceptor: { defaults: { logoutTimeoutMs: 300 } } });
});
afterAll(async () => venue.close());

async function session(): Promise<FixClient> {
  return loggedOn(venue, `V${n++}`);
}

/** Sends TestRequest HELLO and expects its Heartbeat: proves the inbound sequence number advanced as it should. */
async function stillInSequence(c: FixClient): Promise<void> {
  c.send('1', [[112, 'HELLO']]);
  const hb = await c.next();
  expect([hb.msgType, hb.get(112)]).toEqual(['0', 'HELLO']);
}

const order = (): Field[] => [[11, 'ID'], [21, '1'], [55, 'BTC-USD'], [54, '1'], [60, ts()], [38, '1'], [40, '2'], [44, '100']];

describe('field validation (14a-14i)', () => {
  it.each<[string, string, Field[], string, string | undefined, string]>([
    ['14a unknown tag', '0', [[999, 'HI']], '0', '999', 'Invalid tag number'],
    ['14a tag zero', '0', [[0, 'HI']], '0', '0', 'Invalid tag number'],
    ['14a negative tag', '0', [[-1, 'HI']], '0', '-1', 'Invalid tag number'],
    ['14a user-defined range tag this venue does not define', '0', [[5000, 'HI']], '3', '5000', 'Undefined Tag'],
    ['14c FIX 4.4 tag not defined for the message type', 'D', [...order(), [262, 'MD1']], '2', '262', 'Tag not defined for this message type'],
    ['14b required body tag missing', 'D', order().filter(([t]) => t !== 55), '1', '55', 'Required tag missing'],
    ['14c tag not defined for the message type', '0', [[55, 'MSFT']], '2', '55', 'Tag not defined for this message type'],
    ['14d tag without value', '1', [[112, '']], '4', '112', 'Tag specified without a value'],
    ['14e incorrect enumerated value', 'D', order().map(([t, v]): Field => (t === 40 ? [40, 'w'] : [t, v])), '5', '40', 'Value is incorrect (out of range) for this tag'],
    ['14f incorrect data format', 'D', order().map(([t, v]): Field => (t === 38 ? [38, '1x'] : [t, v])), '6', '38', 'Incorrect data format for value'],
    ['14h repeated tag', 'D', [...order(), [40, '1']], '13', '40', 'Tag appears more than once'],
    ['14i NumInGroup count wrong', 'D', [...order(), [386, '3'], [336, 'PRE-OPEN'], [336, 'AFTER-HOURS']], '16', '386', 'Incorrect NumInGroup count for repeating group'],
    ['group delimiter missing in NewOrderSingle', 'D', [...order(), [453, '1'], [452, '3'], [448, 'P']], '15', '452', 'Repeating group fields out of order'],
    ['group fields out of order in NewOrderSingle', 'D', [...order(), [453, '1'], [448, 'P'], [452, '3'], [447, 'D']], '15', '447', 'Repeating group fields out of order'],
    ['2q invalid MsgType', '*', [], '11', undefined, 'Invalid MsgType'],
  ])('%s', async (_name, msgType, body, reason, refTag, text) => {
    const c = await session();
    const seq = c.send(msgType, body);
    const reject = await c.next();
    expect(reject.msgType).toBe('3');
    expect(reject.get(45)).toBe(String(seq));
    expect(reject.get(371)).toBe(refTag);
    expect(reject.get(372)).toBe(msgType);
    expect(reject.get(373)).toBe(reason);
    expect(reject.get(58)).toBe(text);
    await stillInSequence(c);
    c.close();
  });

  it('14b: a missing required header field (TargetCompID) is rejected', async () => {
    const c = await session();
    c.writeRaw(encodeMessage('FIX.4.4', [[35, '0'], [49, c.sender], [34, String(c.seq++)], [52, ts()]]));
    const reject = await c.next();
    expect([reject.msgType, reject.get(371), reject.get(373)]).toEqual(['3', '56', '1']);
    await stillInSequence(c);
    c.close();
  });

  it('14g: a header field after body fields is rejected as out of order', async () => {
    const c = await session();
    const seq = c.seq++;
    c.writeRaw(encodeMessage('FIX.4.4', [[35, 'D'], [49, c.sender], [56, 'EXCH'], [52, ts()], [11, 'id'], [34, String(seq)], [55, 'BTC-USD'], [54, '1'], [60, ts()], [38, '1'], [40, '2'], [44, '1']]));
    const reject = await c.next();
    expect([reject.get(45), reject.get(371), reject.get(372), reject.get(373)]).toEqual([String(seq), '34', 'D', '14']);
    await stillInSequence(c);
    c.close();
  });

  it('21: a repeating group with a count of zero is accepted', async () => {
    const c = await session();
    c.send('D', [...order().map(([t, v]): Field => (t === 11 ? [11, `Z${Date.now()}`] : [t, v])), [386, '0']]);
    const er = await c.next();
    expect([er.msgType, er.get(150)]).toEqual(['8', '0']);
    c.close();
  });
});

describe('message-level checks', () => {
  it('3b/2d: a message with a bad CheckSum is ignored and its sequence number stays free', async () => {
    const c = await session();
    const good = encodeMessage('FIX.4.4', [[35, '1'], [49, c.sender], [56, 'EXCH'], [34, String(c.seq)], [52, ts()], [112, 'BAD']]);
    const sum = checksum(good, good.length - 7);
    c.writeRaw(good.slice(0, -4) + (sum === '000' ? '001' : '000') + '\x01');
    await stillInSequence(c); // a reply to the bad frame would arrive before this one
    c.close();
  });

  it('2m: a message with a wrong BodyLength is ignored', async () => {
    const c = await session();
    const good = encodeMessage('FIX.4.4', [[35, '1'], [49, c.sender], [56, 'EXCH'], [34, String(c.seq)], [52, ts()], [112, 'BAD']]);
    const body = good.slice(good.indexOf('35='), good.lastIndexOf('10='));
    const head = `8=FIX.4.4\x019=${body.length + 3}\x01`;
    c.writeRaw(head + body + `10=${checksum(head + body)}\x01`);
    await stillInSequence(c); // a reply to the bad frame would arrive before this one
    c.close();
  });

  it('2t: a message whose first three fields are out of order is ignored', async () => {
    const c = await session();
    const body = `34=${c.seq}\x0135=1\x0149=${c.sender}\x0156=EXCH\x0152=${ts()}\x01112=BAD\x01`;
    const head = `8=FIX.4.4\x019=${body.length}\x01`;
    c.writeRaw(head + body + `10=${checksum(head + body)}\x01`);
    await stillInSequence(c); // a reply to the bad frame would arrive before this one
    c.close();
  });

  it('2k: a wrong SenderCompID gives a Reject (CompID problem) and a Logout', async () => {
    const c = await session();
    c.send('0', [], { sender: 'SOMEONE-ELSE' });
    const reject = await c.next();
    expect([reject.msgType, reject.get(372), reject.get(373), reject.get(58)]).toEqual(['3', '0', '9', 'CompID problem']);
    expect((await c.next()).msgType).toBe('5');
    c.send('5');
    await c.waitClosed();
  });

  it('2k: a wrong TargetCompID gives a Reject (CompID problem) and a Logout', async () => {
    const c = await session();
    c.send('0', [], { target: 'DLSI' });
    const reject = await c.next();
    expect([reject.msgType, reject.get(373)]).toEqual(['3', '9']);
    expect((await c.next()).msgType).toBe('5');
    await c.waitClosed();
  });

  it.each([[-121_000], [121_000]])('2o: SendingTime %i ms off gives a Reject (SendingTime accuracy) and a Logout', async (offset) => {
    const c = await session();
    c.send('0', [], { sendingTime: ts(offset) });
    const reject = await c.next();
    expect([reject.msgType, reject.get(372), reject.get(373), reject.get(58)]).toEqual(['3', '0', '10', 'SendingTime accuracy problem']);
    expect((await c.next()).msgType).toBe('5');
    await c.waitClosed();
  });

  it('2r: an application message we do not handle gets a BusinessMessageReject (Unsupported Message Type)', async () => {
    const c = await session();
    const seq = c.send('8', [[37, 'id'], [17, 'id'], [150, '0'], [39, '0'], [55, 'BTC-USD'], [54, '1'], [151, '100'], [14, '0'], [6, '0']]);
    const bmr = await c.next();
    expect([bmr.msgType, bmr.get(45), bmr.get(372), bmr.get(380), bmr.get(58)]).toEqual(['j', String(seq), '8', '3', 'Unsupported Message Type']);
    await stillInSequence(c);
    c.close();
  });

  it('2r: a FIX 4.4 message type outside our dictionary gets a BusinessMessageReject', async () => {
    const c = await session();
    c.send('7', [[2, 'AD1'], [5, 'N'], [55, 'BTC-USD'], [4, 'B'], [53, '1']]);
    const bmr = await c.next();
    expect([bmr.msgType, bmr.get(372), bmr.get(380)]).toEqual(['j', '7', '3']);
    await stillInSequence(c);
    c.close();
  });

  it.each<[string, Field[], Field[]]>([
    ['OnBehalfOfCompID', [[115, 'JCD']], [[128, 'JCD']]],
    ['DeliverToCompID', [[128, 'JCD']], [[115, 'JCD']]],
    ['OnBehalfOf Comp/Sub/Location', [[115, 'JCD'], [116, 'CS'], [144, 'CHI']], [[128, 'JCD'], [129, 'CS'], [145, 'CHI']]],
    ['DeliverTo Comp/Sub/Location', [[128, 'JCD'], [129, 'CS'], [145, 'CHI']], [[115, 'JCD'], [116, 'CS'], [144, 'CHI']]],
  ])('reverses routing fields (%s) on a Reject', async (_name, route, reversed) => {
    const c = await session();
    c.send('D', order().map(([t, v]): Field => (t === 40 ? [40, 'w'] : [t, v])), { header: route });
    const reject = await c.next();
    expect(reject.get(373)).toBe('5');
    for (const [tag, value] of reversed) expect(reject.get(tag)).toBe(value);
    for (const [tag] of route) if (!reversed.some(([t]) => t === tag)) expect(reject.get(tag)).toBeUndefined();
    c.close();
  });
});
