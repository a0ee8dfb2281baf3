/**
 * The gateway's CommandBus over NATS, against a real nats-server with JetStream and a real core
 * leading the log (test/fleet/log-writing-leader.ts). What a gateway's replica produces must be
 * what the leader produced: the same results, the same events with the same sequence numbers,
 * the same state; on every gateway, however many, and across a NATS restart.
 */
import fc from 'fast-check';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CommandResult, CoreEvent, TradingCore } from '../../server/src/core/api.js';
import { openRemoteCommandBus, type RemoteCommandBus } from '../../server/src/fleet/remote-command-bus.js';
import { CoreUnavailableError } from '../../server/src/sequencer/api.js';
import { encodeEnvelope } from '../../server/src/fleet/envelope.js';
import { logSubject } from '../../server/src/fleet/shard-names.js';
import { eventually } from '../helpers/eventually.js';
import { startNatsServer, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { ensureLogStream, startLogWritingLeader, type LogWritingLeader } from './log-writing-leader.js';

const logger = pino({ level: 'silent' });
const MARKET: Command[] = [
  { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 6 } },
  {
    type: 'AddInstrument', spec: {
      symbol: 'BTC-USD', base: 'BTC', quote: 'USD', tickSize: '1', lotSize: '0.001', minQuantity: '0.001',
      maxQuantity: '100', minNotional: '1', priceBandBps: 0, status: 'open',
    },
  },
  ...['alice', 'bob', 'carol'].flatMap((accountId): Command[] => [
    { type: 'CreateAccount', accountId },
    { type: 'Deposit', accountId, asset: 'USD', amount: '1000000' },
    { type: 'Deposit', accountId, asset: 'BTC', amount: '50' },
  ]),
];

const account = fc.constantFrom('alice', 'bob', 'carol');
/** Orders around one price so they cross often, cancels by client id, and deposits. */
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    accountId: account, side: fc.constantFrom('buy' as const, 'sell' as const), price: fc.integer({ min: 95, max: 105 }),
    quantity: fc.integer({ min: 1, max: 3000 }), coid: fc.integer({ min: 1, max: 40 }),
  }).map((o): Command => ({
    type: 'PlaceOrder', accountId: o.accountId, symbol: 'BTC-USD', side: o.side, orderType: 'limit', timeInForce: 'GTC',
    price: String(o.price), quantity: (o.quantity / 1000).toFixed(3), clientOrderId: `c${o.coid}`,
  })),
  fc.record({ accountId: account, coid: fc.integer({ min: 1, max: 40 }) })
    .map((c): Command => ({ type: 'CancelOrder', accountId: c.accountId, clientOrderId: `c${c.coid}` })),
  fc.record({ accountId: account, amount: fc.integer({ min: 1, max: 500 }) })
    .map((d): Command => ({ type: 'Deposit', accountId: d.accountId, asset: 'USD', amount: String(d.amount) })),
);

function snapshotOf(bus: RemoteCommandBus): unknown {
  // The replica's core is a full core; only its type is narrowed to queries for the gateways.
  return (bus.core as TradingCore).snapshot();
}

/** Every event a listener got, checked to be in order with no gap and no duplicate. */
function collect(bus: RemoteCommandBus): CoreEvent[] {
  const seen: CoreEvent[] = [];
  bus.onEvents((events) => seen.push(...events));
  return seen;
}

function expectContiguous(events: readonly CoreEvent[]): void {
  events.forEach((event, i) => expect(event.seq).toBe(i + 1));
}

describe('RemoteCommandBus on one NATS node', () => {
  let nats: NatsTestCluster;
  let nc: NatsConnection;
  let leader: LogWritingLeader;
  const buses: RemoteCommandBus[] = [];
  const open = async (extra: Partial<Parameters<typeof openRemoteCommandBus>[0]> = {}): Promise<RemoteCommandBus> => {
    const bus = await openRemoteCommandBus({ nc: await nats.connect(), logger, ...extra });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await nats.connect();
    await ensureLogStream(nc, nats.replicas);
    leader = await startLogWritingLeader(nc);
  });

  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await leader?.stop();
    await nc?.close();
    await nats?.close();
  });

  it('answers each command with the result the leader produced, once its own replica holds it', async () => {
    const bus = await open();
    for (const c of MARKET) {
      const result = await bus.submit(c);
      expect(result.ok).toBe(true);
      // The leader's result for the same command is the last one it logged.
      expect(result).toEqual([...leader.results.values()].at(-1));
    }
    const buy = await bus.submit({ type: 'PlaceOrder', accountId: 'alice', symbol: 'BTC-USD', side: 'buy', orderType: 'limit', timeInForce: 'GTC', price: '100', quantity: '1', clientOrderId: 'first' });
    expect(buy.ok).toBe(true);
    // Read-your-writes: the replica the gateway's queries read already has the order.
    expect(bus.core.order('alice', { clientOrderId: 'first' })?.status).toBe('new');
    expect(bus.core.balances('alice')).toEqual(leader.core.balances('alice'));
    expect(bus.history.getOrder('alice', { clientOrderId: 'first' })?.status).toBe('new');
  });

  it('gives every gateway the leader\'s events in log order, after their submitters are answered, and the leader\'s state (property)', async () => {
    const a = await open();
    const b = await open();
    const seenA = collect(a);
    const seenB = collect(b);
    const before = a.core.seq;
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), command), { minLength: 1, maxLength: 25 }), async (commands) => {
      let order = 0;
      const answeredAt = new Map<number, number>();
      const deliveredAt = new Map<number, number>();
      const unlisten = a.onEvents((events) => { for (const e of events) deliveredAt.set(e.seq, ++order); });
      const results = await Promise.all(commands.map(async ([onA, c]) => {
        const result = await (onA ? a : b).submit(c);
        if (onA) for (const e of result.events) answeredAt.set(e.seq, ++order);
        return result;
      }));
      const leaderByFirstSeq = new Map<number, CommandResult>();
      for (const r of leader.results.values()) if (r.events[0]) leaderByFirstSeq.set(r.events[0].seq, r);
      for (const result of results) {
        expect(result.events.length).toBeGreaterThan(0);
        expect(result).toEqual(leaderByFirstSeq.get(result.events[0]!.seq));
      }
      // The submitter on gateway A is answered before A's listeners hear of its events.
      await eventually(() => { for (const seq of answeredAt.keys()) expect(deliveredAt.has(seq)).toBe(true); });
      unlisten();
      for (const [seq, answered] of answeredAt) expect(answered).toBeLessThan(deliveredAt.get(seq)!);
      await eventually(() => expect(b.core.seq).toBe(leader.core.seq));
      await eventually(() => expect(a.core.seq).toBe(leader.core.seq));
      expect(snapshotOf(a)).toEqual(leader.core.snapshot());
      expect(snapshotOf(b)).toEqual(leader.core.snapshot());
    }), { numRuns: 15, endOnFailure: true } /* each run waits on replicas: shrinking would outlast the test's bound */);
    await eventually(() => expect(seenA.at(-1)?.seq).toBe(leader.core.seq));
    await eventually(() => expect(seenB.at(-1)?.seq).toBe(leader.core.seq));
    expect(seenA[0]!.seq).toBe(before + 1);
    expect(seenB).toEqual(seenA);
    seenA.forEach((event, i) => expect(event.seq).toBe(before + 1 + i));
  });

  it('builds a late gateway\'s replica from the whole log before it opens', async () => {
    const late = await open();
    expect(late.status().durableIndex).toBe(leader.results.size);
    expect(snapshotOf(late)).toEqual(leader.core.snapshot());
  });

  it('refuses with CoreUnavailableError (not applied) when no leader serves, and goes through once one does', async () => {
    const bus = await open({ leaderWaitMs: 300 });
    await leader.stop();
    const refused = await bus.submit({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '1' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CoreUnavailableError);
    expect((refused as CoreUnavailableError).notApplied).toBe(true);
    expect(snapshotOf(bus)).toEqual(leader.core.snapshot());

    const patient = await open({ leaderWaitMs: 60_000 });
    const pending = patient.submit({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '2' });
    leader = await startLogWritingLeader(nc, { term: 2 });
    const result = await pending;
    expect(result).toEqual([...leader.results.values()].at(-1));
    expect(patient.core.balances('alice')).toEqual(leader.core.balances('alice'));
  });

  it('skips a deposed leader\'s envelope (a lower term) as every reader does, and goes on with the next', async () => {
    const bus = await open();
    const seen = collect(bus);
    const before = snapshotOf(bus);
    const js = nc.jetstream();
    const at = bus.status().durableIndex + 1;
    // What a paused term-1 leader's late append would look like, slipping in at the log's end.
    await js.publish(logSubject(0), encodeEnvelope({ seq: at, time: Date.now(), term: 1, command: { type: 'Deposit', accountId: 'carol', asset: 'USD', amount: '999' } }), { expect: { lastSequence: at - 1 } });
    await eventually(() => expect(bus.status().durableIndex).toBe(at));
    expect(snapshotOf(bus)).toEqual(before);
    await leader.stop();
    leader = await startLogWritingLeader(nc, { term: 2 });
    const next = await bus.submit({ type: 'Deposit', accountId: 'carol', asset: 'USD', amount: '1' });
    expect(next).toEqual(leader.results.get(at + 1));
    await eventually(() => expect(seen.map((e) => e.type)).toEqual(['AdminApplied', 'BalanceChanged']));
    expect(snapshotOf(bus)).toEqual(leader.core.snapshot());
  });

  it('follows the log across a NATS restart with no gap and no duplicate', async () => {
    const bus = await open();
    const seen = collect(bus);
    const start = bus.core.seq;
    await bus.submit({ type: 'Deposit', accountId: 'bob', asset: 'USD', amount: '5' });
    await nats.kill(0);
    await nats.restart(0);
    // Until the clients have reconnected, a command may be refused; it is retried as a client would.
    for (let i = 0; i < 5; i++) {
      await eventually(() => bus.submit({ type: 'Deposit', accountId: 'bob', asset: 'USD', amount: String(10 + i) }), { timeoutMs: 60_000, intervalMs: 200 });
    }
    await eventually(() => expect(bus.core.seq).toBe(leader.core.seq));
    expect(seen[0]!.seq).toBe(start + 1);
    expectContiguous(seen.map((e) => ({ ...e, seq: e.seq - start })));
    expect(snapshotOf(bus)).toEqual(leader.core.snapshot());
  });
});
