/**
 * Private channels over real sockets: orders, fills, balances and positions carry exactly the
 * account's own events, in sequence order, none missed or repeated (also across a resubscribe),
 * while other clients trade; heartbeats carry the latest published sequence.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../../server/src/core/api.js';
import { ClientPool, type Frame, type WsTestClient } from './client.js';
import { startHarness, type Harness, type Trader } from './harness.js';
import { eventually } from '../../helpers/eventually.js';
import { trade } from './workload.js';

let h: Harness;
let traders: Trader[];
const events: CoreEvent[] = [];
const pool = new ClientPool();
const connect = () => pool.connect(h.url);


/** The sequence numbers each private channel should have carried for the account after `afterSeq`. */
function expectedSeqs(accountId: string, afterSeq: number) {
  const out = { orders: [] as number[], fills: [] as number[], balances: [] as number[], positions: [] as number[] };
  for (const e of events) {
    if (e.seq <= afterSeq) continue;
    if ((e.type === 'OrderAccepted' || e.type === 'OrderAmended' || e.type === 'OrderTriggered' || e.type === 'OrderCanceled' || e.type === 'OrderFilled') && e.order.accountId === accountId) out.orders.push(e.seq);
    if (e.type === 'OrderFilled' && e.order.accountId === accountId) out.fills.push(e.seq);
    if (e.type === 'OrderRejected' && e.accountId === accountId) out.orders.push(e.seq);
    if (e.type === 'BalanceChanged' && e.accountId === accountId) out.balances.push(e.seq);
    if (e.type === 'PositionChanged' && e.accountId === accountId) out.positions.push(e.seq);
  }
  out.orders.sort((a, b) => a - b);
  return out;
}

function receivedSeqs(frames: readonly Frame[], from = 0) {
  const tail = frames.slice(from);
  return {
    orders: tail.filter((f) => f.type === 'orders.update' || f.type === 'orders.rejected').map((f) => f.seq as number),
    fills: tail.filter((f) => f.type === 'fills').map((f) => f.fill.seq as number),
    balances: tail.filter((f) => f.type === 'balances.update').map((f) => f.seq as number),
    positions: tail.filter((f) => f.type === 'positions.update').map((f) => f.seq as number),
  };
}

const CHANNELS = ['orders', 'fills', 'balances', 'positions'] as const;

async function subscribeAll(c: WsTestClient): Promise<Record<(typeof CHANNELS)[number], number>> {
  const seqs = {} as Record<(typeof CHANNELS)[number], number>;
  for (const channel of CHANNELS) seqs[channel] = (await c.ok('subscribe', { channel })).result.seq;
  return seqs;
}

beforeAll(async () => {
  h = await startHarness({ config: { heartbeatIntervalMs: 100 } });
  h.bus.onEvents((batch) => events.push(...batch));
  traders = await Promise.all(['q1', 'q2', 'q3', 'q4'].map((id) => h.trader(id)));
});

afterEach(() => expect(pool.release()).toEqual([]));

afterAll(async () => h.close());

describe('private streams under concurrent trading', () => {
  it('carry every event of the account and nothing else, in sequence order, with snapshots that add up to the core state', async () => {
    const me = traders[0]!;
    const c = await connect();
    await c.login(me);
    const seqs = await subscribeAll(c);

    await trade(h.url, traders, 50, 3);

    // Exactly the account's events after each subscription's seq: none missing, none repeated, none of another account.
    await eventually(() => {
      const got = receivedSeqs(c.frames);
      for (const channel of CHANNELS) expect(got[channel], channel).toEqual(expectedSeqs(me.accountId, seqs[channel])[channel]);
    });
    const got = receivedSeqs(c.frames);
    expect(got.fills.length).toBeGreaterThan(5);
    expect(got.balances.length).toBeGreaterThan(20);

    // Snapshot + updates = the core's state now.
    const balances = new Map<string, unknown>();
    for (const b of c.frames.find((f) => f.type === 'balances.snapshot')!.balances) balances.set(b.asset, b);
    for (const f of c.frames.filter((x) => x.type === 'balances.update')) balances.set(f.balance.asset, f.balance);
    expect([...balances.values()]).toEqual(expect.arrayContaining(h.bus.core.balances(me.accountId)!));
    expect(balances.size).toBe(h.bus.core.balances(me.accountId)!.length);

    const open = new Map<string, Frame>();
    for (const o of c.frames.find((f) => f.type === 'orders.snapshot')!.orders) open.set(o.orderId, o);
    for (const f of c.frames.filter((x) => x.type === 'orders.update')) {
      if (f.order.status === 'new' || f.order.status === 'partially_filled') open.set(f.order.orderId, f.order);
      else open.delete(f.order.orderId);
    }
    expect([...open.keys()].sort()).toEqual(h.bus.core.openOrders(me.accountId).map((o) => o.orderId).sort());

    const positions = new Map<string, unknown>();
    for (const p of c.frames.find((f) => f.type === 'positions.snapshot')!.positions) positions.set(p.symbol, p);
    for (const f of c.frames.filter((x) => x.type === 'positions.update')) positions.set(f.position.symbol, f.position);
    // Updates carry the position's own fields; the mark to the last price is in snapshots and queries.
    const own = ({ symbol, netQuantity, averageEntryPrice, realizedPnl }: { symbol: string; netQuantity: string; averageEntryPrice: string; realizedPnl: string }) => ({ symbol, netQuantity, averageEntryPrice, realizedPnl });
    expect([...positions.values()].map((p) => own(p as Parameters<typeof own>[0]))).toEqual(expect.arrayContaining(h.bus.core.positions(me.accountId)!.map(own)));
  });

  it('misses nothing and repeats nothing across an unsubscribe and resubscribe', async () => {
    const me = traders[1]!;
    const c = await connect();
    await c.login(me);
    const first = (await c.ok('subscribe', { channel: 'balances' })).result.seq as number;
    await trade(h.url, traders, 15, 11);
    await c.ok('unsubscribe', { channel: 'balances' });
    const cut = c.frames.length;
    await trade(h.url, traders, 15, 12);
    const second = (await c.ok('subscribe', { channel: 'balances' })).result.seq as number;
    await trade(h.url, traders, 15, 13);

    await eventually(() => expect(receivedSeqs(c.frames, cut).balances).toEqual(expectedSeqs(me.accountId, second).balances));
    const snapshot = c.frames.slice(cut).find((f) => f.type === 'balances.snapshot')!;
    expect(snapshot.seq).toBe(second);
    // The account's changes made while unsubscribed are in the new snapshot, not replayed as updates.
    const whileAway = expectedSeqs(me.accountId, first).balances.filter((s) => s <= second);
    const replayed = receivedSeqs(c.frames, cut).balances.filter((s) => whileAway.includes(s));
    expect(replayed).toEqual([]);
    expect(receivedSeqs(c.frames, cut).balances.every((s) => s > second)).toBe(true);
  });
});

describe('heartbeats', () => {
  it('are sent only while a private subscription is open and carry the latest published sequence', async () => {
    const me = traders[2]!;
    const c = await connect();
    await c.login(me);
    const quiet = c.frames.length;
    // A heartbeat to a later subscriber comes from a round that would have reached c too; c's
    // reply to a ping sent after it is written after that round, so it arrives after any heartbeat.
    const witness = await connect();
    await witness.login(traders[3]!);
    await witness.ok('subscribe', { channel: 'fills' });
    await witness.waitFor((f) => f.type === 'heartbeat', { from: witness.frames.length });
    await c.ok('ping');
    expect(c.frames.slice(quiet).filter((f) => f.type === 'heartbeat')).toEqual([]);

    await c.ok('subscribe', { channel: 'fills' });
    const tradedFrom = Date.now();
    await trade(h.url, traders.slice(1), 10, 21);
    const latest = events.at(-1)!.seq;
    const from = c.frames.length;
    const beat = await c.waitFor((f) => f.type === 'heartbeat' && f.seq === latest, { from });
    expect(beat.serverTime).toBeGreaterThanOrEqual(tradedFrom);
    expect(beat.serverTime).toBeLessThanOrEqual(Date.now());
  });
});
