/**
 * Chaos with real processes: two core node processes (core-main.ts) on a real 3-node JetStream
 * cluster, under order flow from four clients on two NATS connections (as two gateways send it).
 * Each test kills something mid-flow, lets the flow go on, and then checks the log
 * against what every client was told: each acknowledged command is in the log at its seq, once,
 * not void; no order was placed twice; every asset's total over all accounts is what was
 * deposited. Progress is counted in acknowledgements, never in time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { NatsConnection } from 'nats';
import type { Command } from '../../server/src/core/api.js';
import { DEFAULT_INSTRUMENTS } from '../../server/src/config/defaults.js';
import { logStreamName } from '../../server/src/fleet/shard-names.js';
import { startNatsCluster, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { eventually } from '../helpers/eventually.js';
import { startCoreProcess, type CoreProcess } from './support/core-process.js';
import { openRemoteCommandBus } from '../../server/src/fleet/remote-command-bus.js';
import { assetTotals, BusOrderClient, ExactlyOnceClient, LogReplica } from './support/order-flow.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const ACCOUNTS = ['a1', 'a2', 'a3', 'a4'];
const WAIT = { timeoutMs: 120_000, intervalMs: 50 };

describe('core nodes under chaos (real processes, real 3-node JetStream cluster)', () => {
  let cluster: NatsTestCluster;
  const connections: NatsConnection[] = [];
  let processes: CoreProcess[] = [];

  beforeAll(async () => {
    cluster = await startNatsCluster();
  });
  afterEach(async () => {
    // CHAOS_LOG_DIR keeps each core process's log lines for a post-mortem (with TEST_LOG_LEVEL for the test's own).
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir) for (const p of processes) writeFileSync(join(logDir, `${p.nodeId}.log`), p.lines.map((l) => JSON.stringify(l)).join('\n'));
    for (const p of processes) {
      await p.signal('SIGCONT');
      await p.signal('SIGKILL');
    }
    processes = [];
  });
  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => undefined);
    await cluster?.close();
  });

  async function connect(): Promise<NatsConnection> {
    const nc = await cluster.connect();
    connections.push(nc);
    return nc;
  }

  /** Core node processes a and b on `shard`; resolves once a leads and b follows. */
  async function startCores(shard: number): Promise<{ a: CoreProcess; b: CoreProcess }> {
    const a = startCoreProcess({ nodeId: `a${shard}`, servers: cluster.servers, shard });
    processes.push(a);
    await eventually(() => expect(a.role).toBe('leader'), WAIT);
    const b = startCoreProcess({ nodeId: `b${shard}`, servers: cluster.servers, shard });
    processes.push(b);
    await eventually(() => expect(b.role).toBe('standby'), WAIT);
    return { a, b };
  }

  /**
   * Four clients on two connections, a replica to check against, the market set up and funded;
   * and a gateway's command bus placing orders of its own (what REST, WS and FIX go through).
   */
  async function startFlow(shard: number) {
    const gateways = [await connect(), await connect()];
    const replica = await LogReplica.open(gateways[0]!, shard, 3, logger);
    const clients = ACCOUNTS.map((account, i) => new ExactlyOnceClient(gateways[i % 2]!, shard, replica, `${account}-${shard}`, 1_500));
    const setUp: Command[] = [
      { type: 'AddAsset', spec: { asset: 'BTC', decimals: 8 } },
      { type: 'AddAsset', spec: { asset: 'USD', decimals: 8 } },
      { type: 'AddInstrument', spec: DEFAULT_INSTRUMENTS[0]! },
      { type: 'CreateAccount', accountId: 'barrier' },
      ...ACCOUNTS.flatMap((accountId): Command[] => [
        { type: 'CreateAccount', accountId },
        { type: 'Deposit', accountId, asset: 'USD', amount: '1000000' },
        { type: 'Deposit', accountId, asset: 'BTC', amount: '100' },
      ]),
    ];
    for (const command of setUp) await clients[0]!.send(command);
    const deposited = new Map([['BTC', 400n * 10n ** 8n], ['USD', 4_000_000n * 10n ** 8n]]);
    // A short request timeout: a request the queue group hands to a stopped leader is given up quickly.
    const bus = await openRemoteCommandBus({ nc: await connect(), logger, shard, requestTimeoutMs: 1_500 });
    const busClient = new BusOrderClient(bus, ACCOUNTS[0]!);

    let running = true;
    const loops = clients.map(async (client, i) => {
      const accountId = ACCOUNTS[i]!;
      for (let n = 0; running; n++) {
        // Crossing prices around 100: most orders trade against another account's.
        await client.send({
          type: 'PlaceOrder', accountId, symbol: 'BTC-USD', clientOrderId: `${accountId}-${n}`,
          side: (n + i) % 2 === 0 ? 'buy' : 'sell', orderType: 'limit', price: (n + i) % 2 === 0 ? '100.50' : '99.50', quantity: '0.02', timeInForce: 'GTC',
        });
      }
    });
    const acknowledged = () => clients.reduce((sum, c) => sum + c.acknowledged.length, 0);
    const failures = () => clients.reduce((sum, c) => sum + [...c.failures.values()].reduce((a, b) => a + b, 0), 0);
    return {
      gateways, replica, clients, busClient, acknowledged, failures,
      /** Waits until `count` more commands are acknowledged. */
      async progress(count: number): Promise<void> {
        const target = acknowledged() + count;
        await eventually(() => expect(acknowledged()).toBeGreaterThanOrEqual(target), WAIT);
      },
      async stop(): Promise<void> {
        running = false;
        await Promise.all([...loops, busClient.stop()]);
      },
      /** The log against every acknowledgement, and the books balanced. */
      async verify(): Promise<void> {
        // A read only, retried: JetStream may answer 503 for a moment after its nodes are back.
        const last = await eventually(async () => {
          const jsm = await gateways[0]!.jetstreamManager();
          return (await jsm.streams.info(logStreamName(shard))).state.last_seq;
        }, WAIT);
        await replica.whenApplied(last);
        for (const client of clients) {
          for (const ack of client.acknowledged) {
            const entry = replica.entries.get(ack.seq);
            expect(entry?.void, `seq ${ack.seq}`).toBe(false);
            expect(entry?.envelope.command).toEqual(ack.command);
            if (ack.command.type === 'PlaceOrder') expect(replica.placed.get(`${ack.command.accountId}/${ack.command.clientOrderId}`)).toEqual([ack.seq]);
          }
        }
        // Every order placed once, whatever was retried.
        for (const [key, seqs] of replica.placed) expect(seqs, key).toHaveLength(1);
        // The bus answered a result or a retryable refusal, never anything else; what it said was not applied is not in the log.
        expect(busClient.unexpected).toEqual([]);
        for (const [clientOrderId, outcome] of busClient.outcomes) {
          const placed = replica.placed.get(`${busClient.accountId}/${clientOrderId}`) ?? [];
          if (outcome === 'acknowledged') expect(placed, clientOrderId).toHaveLength(1);
          if (outcome === 'not applied') expect(placed, clientOrderId).toHaveLength(0);
          // An unknown outcome is found by client order id in the gateway's own replica, as the log has it.
          if (outcome === 'unknown') {
            await eventually(() => expect(bus.status().durableIndex).toBeGreaterThanOrEqual(last), WAIT);
            // A command whose request timed out may still be appended after `last` was read:
            // compare the gateway's history and the replica at the same point of the log.
            const found = bus.history.getOrder(busClient.accountId, { clientOrderId });
            const through = bus.status().durableIndex;
            await replica.whenApplied(through);
            const placedThrough = (replica.placed.get(`${busClient.accountId}/${clientOrderId}`) ?? []).filter((seq) => seq <= through);
            // (The log's result may be a rejection, self-trade prevention against the account's own order: then there is nothing to find.)
            const accepted = placedThrough.some((seq) => replica.entries.get(seq)?.result?.events.some((e) => e.type === 'OrderAccepted'));
            const inLog = placedThrough.map((seq) => `seq ${seq}: ${replica.entries.get(seq)?.result?.events.map((e) => e.type).join(',') ?? 'no result'}`).join('; ');
            expect(found, `${clientOrderId} (log through ${through}: ${inLog || 'absent'})`)[accepted ? 'toBeDefined' : 'toBeUndefined']();
          }
        }
        await bus.close();
        expect(assetTotals(replica.core, ACCOUNTS)).toEqual(deposited);
        const traded = [...replica.entries.values()].some((e) => e.result?.events.some((ev) => ev.type === 'TradePrinted'));
        expect(traded).toBe(true);
        await replica.stop();
      },
    };
  }

  it('kill -9 of the leader under load: the standby leads, and no acknowledged order is lost or placed twice', async () => {
    const shard = 10;
    const { a, b } = await startCores(shard);
    const flow = await startFlow(shard);
    await flow.progress(100);
    await a.signal('SIGKILL');
    await eventually(() => expect(b.role).toBe('leader'), WAIT);
    await flow.progress(150);
    await flow.stop();
    await flow.verify();
    const leading = b.lines.find((l) => l.role === 'leader');
    expect(leading?.term).toBeGreaterThan(a.lines.find((l) => l.role === 'leader')?.term ?? Infinity);
  }, 300_000);

  it('SIGSTOP of the leader past its lease, then SIGCONT: the standby leads, the old leader steps down without acknowledging anything the log lacks, and follows as a standby', async () => {
    const shard = 11;
    const { a, b } = await startCores(shard);
    const flow = await startFlow(shard);
    await flow.progress(100);
    // Frozen mid-flow: appends it had sent land or not; it cannot renew, so its lease lapses.
    await a.signal('SIGSTOP');
    await eventually(() => expect(b.role).toBe('leader'), WAIT);
    // The stopped process still holds its place in the command queue group: requests handed to it
    // time out, are resolved by client order id, and the flow goes on through b.
    await flow.progress(100);
    await a.signal('SIGCONT');
    // On waking it finds its lease deadline passed (or its next append refused) and steps down.
    await eventually(() => expect(a.lines.some((l) => l.msg === 'stepping down')).toBe(true), WAIT);
    await eventually(() => expect(a.role).toBe('standby'), WAIT);
    await flow.progress(100);
    // It follows the log as a standby: killed b, it leads again from the log's state, with a higher term.
    await b.signal('SIGKILL');
    await eventually(() => expect(a.role).toBe('leader'), WAIT);
    await flow.progress(100);
    await flow.stop();
    await flow.verify();
    const terms = (p: typeof a) => p.lines.filter((l) => l.msg === 'leading the shard').map((l) => l.term!);
    const [aFirst, aSecond] = terms(a);
    const [bTerm] = terms(b);
    expect(bTerm).toBeGreaterThan(aFirst!);
    expect(aSecond).toBeGreaterThan(bTerm!);
    // The freeze was felt: requests handed to the stopped leader timed out or were refused, and were resolved.
    expect(flow.failures()).toBeGreaterThan(0);
  }, 300_000);

  it('NATS nodes lost under load: with one of three down trading goes on; with two down it stops with retryable refusals, not hangs; with them back it resumes and nothing acknowledged is lost', async () => {
    const shard = 12;
    await startCores(shard);
    const flow = await startFlow(shard);
    await flow.progress(100);
    await cluster.kill(0);
    // Two of three replicas hold every append: orders are still acknowledged.
    await flow.progress(100);
    await cluster.kill(1);
    // No quorum: nothing can be appended. Every command is refused or times out, as a retryable
    // refusal: the bus keeps answering (three more refusals in a row), nobody hangs.
    const refusedBefore = flow.busClient.count('not applied') + flow.busClient.count('unknown');
    await eventually(() => expect(flow.busClient.count('not applied') + flow.busClient.count('unknown')).toBeGreaterThanOrEqual(refusedBefore + 3), WAIT);
    const ackedDuringOutage = flow.acknowledged();
    const refusedDuringOutage = flow.busClient.count('not applied') + flow.busClient.count('unknown');
    await eventually(() => expect(flow.busClient.count('not applied') + flow.busClient.count('unknown')).toBeGreaterThanOrEqual(refusedDuringOutage + 3), WAIT);
    expect(flow.acknowledged()).toBe(ackedDuringOutage);
    await cluster.restart(1);
    await cluster.restart(0);
    // Quorum is back: a leader is elected again and trading resumes.
    await flow.progress(100);
    await flow.stop();
    await flow.verify();
  }, 300_000);
});
