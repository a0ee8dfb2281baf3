/**
 * Two FIX gateways on one core, sharing the session store (a PostgreSQL database of the test's
 * own, each gateway with its own pool) and the session leases (a redis-server of the test's own,
 * each gateway with its own connection). A report for a session logged on nowhere is stored by
 * exactly one of the gateways that know the session, under one sequence number; while the
 * session is live at one gateway, the other stores nothing for it; and while a gateway that died
 * still holds the session's lease, the others keep the report and store it once the lease lapses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixAcceptor, type FixAcceptor } from '../../../server/src/gateway/fix/acceptor.js';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { parseFrame } from '../../../server/src/gateway/fix/codec.js';
import { PostgresFixSessionBackend } from '../../../server/src/gateway/fix/postgres-session-backend.js';
import { RedisSessionLeases } from '../../../server/src/gateway/fix/redis-session-leases.js';
import { fixSessionLease } from '../../../server/src/gateway/fix/session-leases.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { connectPostgres, type PostgresPool } from '../../../server/src/storage/postgres.js';
import { connectRedis, type RedisClient } from '../../../server/src/storage/redis.js';
import { eventually } from '../../helpers/eventually.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../../helpers/postgres.js';
import { startRedisServer, type TestRedisServer } from '../../helpers/redis-server.js';
import { FixClient, loggedOn, startVenue, type TestVenue } from './harness.js';

let database: TestDatabase;
let redisServer: TestRedisServer;
const pools: PostgresPool[] = [];
const redisClients: RedisClient[] = [];
let venue: TestVenue;
let gatewayB: FixAcceptor | undefined;

/** One gateway's own connections to the shared PostgreSQL schema and Redis. */
async function gatewayStores(schema: string): Promise<{ sessionStore: PostgresFixSessionBackend; leases: RedisSessionLeases }> {
  const pool = await connectPostgres(database.url, { schema, max: 4 });
  const redis = await connectRedis(redisServer.url);
  pools.push(pool);
  redisClients.push(redis);
  return { sessionStore: new PostgresFixSessionBackend(pool), leases: new RedisSessionLeases(redis, { prefix: 'gw:' }) };
}

let schema: string;
beforeAll(async () => {
  [database, redisServer] = await Promise.all([createTestDatabase(), startRedisServer()]);
  schema = uniqueSchema();
  venue = await startVenue({
    clients: { ABSENT: 'acc-absent', TAKER: 'acc-taker' },
    acceptor: { ...(await gatewayStores(schema)), leaseOwner: 'gateway-a' },
  });
});
afterAll(async () => {
  await gatewayB?.close();
  await venue?.close();
  await Promise.all(pools.map((p) => p.end()));
  redisClients.forEach((r) => r.disconnect());
  await redisServer?.stop();
  await database?.drop();
});

const SESSION = 'FIX.4.4:EXCH->ABSENT|acc-absent';
let ids = 0;
const sell = (price: string): Field[] => [[11, `AB${++ids}`], [55, 'BTC-USD'], [54, '2'], [60, formatUtcTimestamp(Date.now())], [38, '1'], [40, '2'], [44, price]];
const take = (price: string, quantity: string) => venue.bus.submit({
  type: 'PlaceOrder', accountId: 'acc-taker', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price, quantity, timeInForce: 'IOC',
});

/** The session's stored messages in PostgreSQL: sequence number, MsgType, ExecID, ExecType. */
async function storedMessages(): Promise<Array<{ seq: number; type: string; execId?: string; execType?: string }>> {
  const { rows } = await pools[0]!.query<{ seq: number; raw: Buffer }>('SELECT seq, raw FROM fix_message WHERE session_key = $1 ORDER BY seq', [SESSION]);
  return rows.map((r) => {
    const m = parseFrame(r.raw.toString('latin1'));
    return { seq: r.seq, type: m.msgType, ...(m.get(17) !== undefined && { execId: m.get(17) }), ...(m.get(150) !== undefined && { execType: m.get(150) }) };
  });
}
const nextSender = async (): Promise<number> =>
  (await pools[0]!.query<{ n: number }>('SELECT next_sender AS n FROM fix_session WHERE session_key = $1', [SESSION])).rows[0]!.n;

/** Everything a ResendRequest from `from` brings back, up to the Heartbeat that answers the TestRequest sent after it. */
async function resendFrom(client: FixClient, from: number): Promise<FixMessage[]> {
  client.send('2', [[7, String(from)], [16, '0']]);
  client.send('1', [[112, 'AFTER-RESEND']]);
  const replies: FixMessage[] = [];
  for (;;) {
    const m = await client.next();
    if (m.msgType === '0' && m.get(112) === 'AFTER-RESEND') return replies;
    replies.push(m);
  }
}

describe('reports for a FIX session with two gateways on one shared store', () => {
  let ackSeq = 0;
  let logoutSeq = 0;
  let restingId = '';
  let laterId = '';
  /** The session's connection at gateway B, from the first test to the second. */
  let atB: FixClient;

  it('stores each report for a session logged on nowhere once, under one sequence number, though both gateways know the session', async () => {
    const atA = await loggedOn(venue, 'ABSENT', { reset: true });
    atA.send('D', sell('905'));
    const ack = await atA.next('8');
    restingId = ack.get(37)!;
    // Gateway B starts while the session is live at A: it reads the session's numbers now, and
    // learns the resting order's owner from PostgreSQL when the order first trades.
    gatewayB = await startFixAcceptor({ ...venue.options, ...(await gatewayStores(schema)), port: 0, leaseOwner: 'gateway-b' });
    // The session goes on at A, so B's numbers fall behind; B takes this order for another channel's.
    atA.send('D', sell('906'));
    laterId = (await atA.next('8')).get(37)!;
    ackSeq = Number(ack.get(34));
    atA.send('5');
    logoutSeq = Number((await atA.next('5')).get(34));
    await atA.waitClosed();
    const leases = new RedisSessionLeases(redisClients[0]!, { prefix: 'gw:' });
    await eventually(async () => expect(await leases.holder(fixSessionLease('acc-absent', 'ABSENT'))).toBeUndefined());

    // Logged on nowhere: two partial fills and a cancel, each seen by both gateways at once.
    await take('905', '0.25');
    await take('905', '0.25');
    const canceled = await venue.bus.submit({ type: 'CancelOrder', accountId: 'acc-absent', orderId: restingId });
    expect(canceled.events.map((e) => e.type)).toContain('OrderCanceled');

    // Each of the three reports is stored once after the Logout, whichever gateway stored it.
    await eventually(async () => expect((await storedMessages()).filter((m) => m.seq > logoutSeq)).toHaveLength(3));

    // Back at gateway B: the Logon carries on after them, and no late copy follows.
    atB = await FixClient.connect(gatewayB.port, 'ABSENT');
    atB.logon(venue.keys.ABSENT!, { seq: atA.seq });
    atB.seq = atA.seq + 1;
    const logon = await atB.next('A');
    expect(Number(logon.get(34))).toBe(logoutSeq + 4);
    const stored = await storedMessages();
    const reports = stored.filter((m) => m.seq > logoutSeq);
    expect(reports.map((m) => [m.seq, m.type, m.execType])).toEqual([
      [logoutSeq + 1, '8', 'F'], [logoutSeq + 2, '8', 'F'], [logoutSeq + 3, '8', '4'],
    ]);
    const execIds = stored.filter((m) => m.type === '8').map((m) => m.execId);
    expect(new Set(execIds).size).toBe(execIds.length);

    // The resend brings each of them back once, in order, after the acks.
    const resent = await resendFrom(atB, ackSeq);
    const resentReports = resent.filter((m) => m.msgType === '8');
    expect(resentReports.map((m) => [Number(m.get(34)), m.get(37), m.get(150), m.get(43)])).toEqual([
      [ackSeq, restingId, '0', 'Y'], [ackSeq + 1, laterId, '0', 'Y'],
      [logoutSeq + 1, restingId, 'F', 'Y'], [logoutSeq + 2, restingId, 'F', 'Y'], [logoutSeq + 3, restingId, '4', 'Y'],
    ]);
  });

  it('while the session is live at gateway B, gateway A stores nothing for it: B sends the report once', async () => {
    const before = await nextSender();
    // The order placed through gateway A fills while the session is live at gateway B, which
    // learned at the Logon that the session owns it.
    await take('906', '1');
    const fill = await atB.next('8');
    expect([fill.get(37), fill.get(150), fill.get(43)]).toEqual([laterId, 'F', undefined]);
    expect(Number(fill.get(34))).toBe(before);
    atB.send('5');
    const logout = await atB.next('5');
    await atB.waitClosed();
    // Gateway A, which also knows the order's owner, added nothing: B's report and Logout are the last.
    await eventually(async () => expect(await nextSender()).toBe(Number(logout.get(34)) + 1));
    const stored = await storedMessages();
    expect(stored.filter((m) => m.seq >= before).map((m) => [m.seq, m.execType])).toEqual([[before, 'F']]);
    expect(stored.filter((m) => m.execId === fill.get(17))).toHaveLength(1);
  });

  it('a report made while a gateway that died still holds the session\'s lease is stored once that lease lapses, once, by a gateway that remains', async () => {
    // The order is placed at gateway B; gateway A learns its owner from PostgreSQL when it fills.
    // Both know the session and see the fill; whichever stores the report, it is stored once (see the race test below).
    const atB2 = await FixClient.connect(gatewayB!.port, 'ABSENT');
    atB2.logon(venue.keys.ABSENT!, { reset: true });
    atB2.seq = 2;
    await atB2.next('A');
    atB2.send('D', sell('907'));
    const ack = await atB2.next('8');
    atB2.send('5');
    await atB2.next('5');
    await atB2.waitClosed();
    const lease = `gw:lease:${fixSessionLease('acc-absent', 'ABSENT')}`;
    await eventually(async () => expect(await redisClients[0]!.get(lease)).toBeNull());
    // A gateway where the session was live dies: its lease stays until its TTL runs out.
    await redisClients[0]!.set(lease, 'dead-gateway', 'PX', 1_500);
    const before = await nextSender();
    await take('907', '1');
    await eventually(async () => expect((await storedMessages()).filter((m) => m.seq >= before && m.type === '8')).toHaveLength(1));
    const [fill] = (await storedMessages()).filter((m) => m.seq >= before);
    expect(fill).toMatchObject({ type: '8', execType: 'F' });
    const stored = parseFrame((await pools[0]!.query<{ raw: Buffer }>('SELECT raw FROM fix_message WHERE session_key = $1 AND seq = $2', [SESSION, fill!.seq])).rows[0]!.raw.toString('latin1'));
    expect(stored.get(37)).toBe(ack.get(37));
  });

  it('two gateways storing the same event for a session at once store it once; a reset keeps what was reported', async () => {
    const [a, b] = [new PostgresFixSessionBackend(pools[0]!), new PostgresFixSessionBackend(pools[1]!)];
    const key = 'FIX.4.4:EXCH->RACE|acc-race';
    const append = (backend: PostgresFixSessionBackend, event: number, by: string) =>
      backend.appendForAbsentSession({ key, event, encode: (seq) => `34=${seq}\x0117=${event}\x01by=${by}\x01` });
    for (let event = 10; event <= 50; event += 10) {
      const results = await Promise.all([append(a, event, 'a'), append(b, event, 'b'), append(a, event, 'a'), append(b, event, 'b')]);
      expect(results.filter((r) => r.stored)).toHaveLength(1);
    }
    expect((await a.messages(key, 1, 100)).map((m) => [m.seq, m.raw.split('\x01')[1]])).toEqual([
      [1, '17=10'], [2, '17=20'], [3, '17=30'], [4, '17=40'], [5, '17=50'],
    ]);
    expect(await b.load(key)).toEqual({ nextSender: 6, nextTarget: 1, reportedEvent: 50 });
    // An earlier event, late from a slow gateway, is not stored either.
    expect((await append(b, 40, 'b')).stored).toBe(false);
    // A reset (a Logon with ResetSeqNumFlag) restarts the numbers, not what the session was given.
    await a.write({ resets: [key], messages: [], seqs: [], owners: [] });
    expect(await b.load(key)).toEqual({ nextSender: 1, nextTarget: 1, reportedEvent: 50 });
    expect((await append(b, 50, 'b')).stored).toBe(false);
    expect(await append(b, 60, 'b')).toEqual({ stored: true, seqs: { nextSender: 2, nextTarget: 1, reportedEvent: 60 } });
  });
});
