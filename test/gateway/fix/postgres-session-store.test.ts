/**
 * FIX sessions with their state in PostgreSQL (stores: external), over real sockets: sequence
 * numbers and sent ExecutionReports survive an acceptor restart and are resent on request (read
 * back from PostgreSQL, after the restart, with later output held behind them); a report for a
 * session not logged on since the restart finds its owner in PostgreSQL; and a session that moves
 * to another gateway (sharing leases and the database) carries on with its sequence numbers there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field, FixMessage } from '../../../server/src/gateway/fix/codec.js';
import { startFixAcceptor } from '../../../server/src/gateway/fix/acceptor.js';
import { PostgresFixSessionBackend } from '../../../server/src/gateway/fix/postgres-session-backend.js';
import { fixSessionLease, MemorySessionLeases } from '../../../server/src/gateway/fix/session-leases.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { connectPostgres, type PostgresPool } from '../../../server/src/storage/postgres.js';
import { eventually } from '../../helpers/eventually.js';
import { createTestDatabase, uniqueSchema, type TestDatabase } from '../../helpers/postgres.js';
import { FixClient, loggedOn, startVenue, type TestVenue } from './harness.js';

let database: TestDatabase;
let pool: PostgresPool;
let venue: TestVenue;
const leases = new MemorySessionLeases();

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await connectPostgres(database.url, { schema: uniqueSchema(), max: 4 });
  venue = await startVenue({
    clients: { SELLER: 'acc-s', MOVER: 'acc-m' },
    acceptor: { sessionStore: new PostgresFixSessionBackend(pool), leases, leaseOwner: 'gateway-a' },
  });
});
afterAll(async () => {
  await venue?.close();
  await pool?.end();
  await database?.drop();
});

let ids = 0;
const clOrdId = (): string => `PG${++ids}`;
function newOrder(id: string, side: '1' | '2', price: string): Field[] {
  return [[11, id], [55, 'BTC-USD'], [54, side], [60, formatUtcTimestamp(Date.now())], [38, '1'], [40, '2'], [44, price]];
}
const fields = (m: FixMessage, ...tags: number[]): Array<string | undefined> => tags.map((t) => m.get(t));

describe('FIX session store in PostgreSQL', () => {
  it('keeps sequence numbers and reports across a restart, finds the owner of an order placed before it, and resends from PostgreSQL', async () => {
    const c = await loggedOn(venue, 'SELLER', { reset: true });
    const id = clOrdId();
    c.send('D', newOrder(id, '2', '901'));
    const ack = await c.next('8');
    c.send('5');
    await c.next('5');
    await c.waitClosed();
    const stored = await pool.query<{ seq: number }>(`SELECT seq FROM fix_message WHERE session_key LIKE '%->SELLER|acc-s' ORDER BY seq`);
    expect(stored.rows.map((r) => r.seq)).toEqual([Number(ack.get(34))]);

    await venue.restart();
    // Filled while no SELLER session exists in the restarted acceptor: its owner is read from PostgreSQL.
    await venue.bus.submit({ type: 'PlaceOrder', accountId: 'acc-m', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', price: '901', quantity: '1', timeInForce: 'IOC' });
    const sellerMessages = async () => (await pool.query(`SELECT count(*)::int AS n FROM fix_message WHERE session_key LIKE '%->SELLER|acc-s'`)).rows[0].n as number;
    await eventually(async () => expect(await sellerMessages()).toBe(2));
    const again = await FixClient.connect(venue.acceptor.port, 'SELLER');
    again.logon(venue.keys.SELLER!, { seq: 4 });
    const logon = await again.next('A', 10_000);
    const lastSeen = Number(ack.get(34)) + 1; // the Logout after the ack
    expect(Number(logon.get(34))).toBe(lastSeen + 2); // the fill's report was sequenced while logged out
    again.seq = 5;
    // Resend everything from our first message: the ack and the fill come back from PostgreSQL,
    // and the Heartbeat answering the TestRequest sent right after waits behind them.
    again.send('2', [[7, '1'], [16, '0']]);
    again.send('1', [[112, 'AFTER-RESEND']]);
    const replies: FixMessage[] = [];
    for (;;) {
      const m = await again.next(undefined, 10_000);
      replies.push(m);
      if (m.msgType === '0' && m.get(112) === 'AFTER-RESEND') break;
    }
    const reports = replies.filter((m) => m.msgType === '8');
    expect(reports.map((m) => fields(m, 11, 150, 43))).toEqual([[id, '0', 'Y'], [id, 'F', 'Y']]);
    expect(reports[0]!.get(34)).toBe(ack.get(34));
    const seqs = replies.map((m) => Number(m.get(34)));
    // In order: gap fills and resends up to the fill, then the Heartbeat.
    expect(replies[replies.length - 1]!.get(34)).toBe(String(Number(logon.get(34)) + 1));
    expect(seqs.slice(0, -1).every((s) => s <= Number(logon.get(34)))).toBe(true);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    again.close();
  });

  it('a session moved to another gateway carries on there with the sequence numbers it had', async () => {
    const gatewayB = await startFixAcceptor({ ...venue.options, port: 0, leases, leaseOwner: 'gateway-b', sessionStore: new PostgresFixSessionBackend(pool) });
    try {
      const atA = await loggedOn(venue, 'MOVER', { reset: true });
      const id = clOrdId();
      atA.send('D', newOrder(id, '1', '10'));
      const ack = await atA.next('8');
      atA.send('5');
      await atA.next('5');
      await atA.waitClosed();
      // Gateway A gives the lease back once its side of the connection has closed; gateway B then holds it.
      await eventually(async () => expect(await leases.acquire(fixSessionLease('acc-m', 'MOVER'), 'gateway-b', 15_000)).toBe(true));

      const atB = await FixClient.connect(gatewayB.port, 'MOVER');
      atB.logon(venue.keys.MOVER!, { seq: 4 });
      const logon = await atB.next('A', 10_000);
      expect(logon.get(34)).toBe(String(Number(ack.get(34)) + 2));
      atB.seq = 5;
      atB.send('2', [[7, ack.get(34)!], [16, ack.get(34)!]]);
      const resent = await atB.next('8', 10_000);
      expect(fields(resent, 11, 150, 43, 34)).toEqual([id, '0', 'Y', ack.get(34)]);
      atB.close();
    } finally {
      await gatewayB.close();
    }
  });
});
