/**
 * Following the command log through the loss of the NATS node that holds the reader's consumer,
 * on a real 3-node JetStream cluster. An ordered consumer is an R1 consumer on one node: when that
 * node dies, nats.js tries to reset it, and its reset can wait on consumer-info requests that get
 * no answer for as long as the node is down. Both followers (the core's CommandLog.follow, and the
 * gateways' LogFollower) must notice and go on from their last applied sequence through a new
 * consumer, with no gap and no duplicate.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ConsumerMessages, JetStreamClient, NatsConnection } from 'nats';
import type { Command } from '../../server/src/core/api.js';
import { createCore } from '../../server/src/core/index.js';
import { CommandLog } from '../../server/src/fleet/command-log.js';
import { LogFollower, type AppliedCommand } from '../../server/src/fleet/log-follower.js';
import { LogReader, type LogReadFatalError } from '../../server/src/fleet/log-reader.js';
import { logStreamName } from '../../server/src/fleet/shard-names.js';
import { startNatsCluster, startNatsServer } from '../helpers/nats-cluster.js';
import { natsForDescribe } from '../helpers/nats-for-describe.js';
import { eventually } from '../helpers/eventually.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };
const SET_UP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'a' },
];
const deposit = (cents: number): Command => ({ type: 'Deposit', accountId: 'a', asset: 'USD', amount: (cents / 100).toFixed(2) });

describe('following the command log through the loss of a NATS node (real 3-node JetStream cluster)', () => {
  const nats = natsForDescribe(startNatsCluster);

  /** A connection whose first server is node `index` (it fails over to the others). */
  function connectVia(index: number): Promise<NatsConnection> {
    const { servers } = nats.cluster;
    return nats.connect({ servers: [servers[index]!, ...servers.filter((_, i) => i !== index)], noRandomize: true });
  }

  /** The index of the node that holds the stream's newest consumer (the reader's ordered consumer; stopped ones linger until their inactivity threshold). */
  async function consumerNode(nc: NatsConnection, stream: string): Promise<number> {
    const jsm = await nc.jetstreamManager();
    const name = await eventually(async () => {
      const consumers = await jsm.consumers.list(stream).next();
      expect(consumers.length).toBeGreaterThan(0);
      const newest = consumers.reduce((a, b) => (Date.parse(b.created) > Date.parse(a.created) ? b : a));
      const leader = newest.cluster?.leader;
      expect(leader).toBeDefined();
      return leader!;
    }, WAIT);
    const index = nats.cluster.nodes.findIndex((node) => node.name === name);
    expect(index).toBeGreaterThanOrEqual(0);
    return index;
  }

  /** Appends deposits of 1..count cents after `from` commands, retrying an append whose outcome the lost node left unknown. */
  async function appendDeposits(log: CommandLog, firstSeq: number, count: number): Promise<void> {
    for (let seq = firstSeq; seq < firstSeq + count; seq++) {
      await eventually(async () => {
        if ((await log.lastSeq()) >= seq) return; // an earlier try landed
        await log.append({ seq, time: 1_000 + seq, term: 1, command: deposit(seq) });
      }, WAIT);
    }
  }

  for (const reader of ['CommandLog.follow', 'LogFollower'] as const) {
    it(`${reader} goes on through a new consumer when the node holding its consumer is killed, with its own connection on that node`, async () => {
      const shard = reader === 'LogFollower' ? 31 : 30;
      const writer = await connectVia(0);
      // The cluster may still be electing leaders after the previous test's restart.
      const log = await eventually(() => CommandLog.open(writer, { shard, replicas: 3, logger }), WAIT);
      for (const [i, command] of SET_UP.entries()) await log.append({ seq: i + 1, time: 1_000, term: 1, command });

      // Start the reader on each node in turn until its consumer lands on the node its connection
      // goes to first (placement is the cluster's choice): that is the case that stalled.
      const seen: number[] = [];
      let stop: () => Promise<void> = async () => undefined;
      let victim = -1;
      for (let attempt = 0; attempt < 30 && victim < 0; attempt++) {
        await stop();
        seen.length = 0;
        const via = attempt % 3;
        const nc = await connectVia(via);
        if (reader === 'CommandLog.follow') {
          const follower = (await eventually(() => CommandLog.open(nc, { shard, replicas: 3, logger }), WAIT)).follow(1, (envelope) => seen.push(envelope.seq));
          stop = () => follower.stop();
        } else {
          const follower = new LogFollower({
            nc, shard, core: createCore(), logger, retryMs: 100,
            onBatch: (batch: readonly AppliedCommand[]) => seen.push(...batch.map((c) => c.seq)),
            onFailure: (reason) => { throw new Error(reason); },
          });
          stop = () => follower.close();
        }
        await eventually(() => expect(seen).toHaveLength(SET_UP.length), WAIT);
        if ((await consumerNode(writer, logStreamName(shard))) === via) victim = via;
      }
      expect(victim).toBeGreaterThanOrEqual(0);

      await nats.cluster.kill(victim);
      try {
        const survivor = await connectVia((victim + 1) % 3);
        const appender = await eventually(() => CommandLog.open(survivor, { shard, replicas: 3, logger }), WAIT);
        await appendDeposits(appender, SET_UP.length + 1, 50);
        const last = SET_UP.length + 50;
        await eventually(() => expect(seen.at(-1)).toBe(last), WAIT);
        // Every sequence once, in order.
        expect(seen).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      } finally {
        await stop();
        await nats.cluster.restart(victim);
        await nats.cluster.ready();
      }
    }, 300_000);
  }
});

/**
 * `js` as the reader uses it (consumers.get, then consume), with the deliveries `lose` picks dropped
 * on the way, as a failing connection drops them: `consumer` counts the consumers opened, from 1.
 */
function losingDeliveries(js: JetStreamClient, lose: (seq: number, consumer: number) => boolean): JetStreamClient {
  let opened = 0;
  const consumers = {
    get: async (stream: string, name: string) => {
      const consumer = await js.consumers.get(stream, name);
      return {
        consume: async (options: Parameters<typeof consumer.consume>[0]) => {
          const n = ++opened;
          const messages = await consumer.consume(options);
          return {
            stop: () => messages.stop(),
            async *[Symbol.asyncIterator]() {
              for await (const message of messages) if (!lose(message.seq, n)) yield message;
            },
          } as unknown as ConsumerMessages;
        },
      };
    },
  };
  return { consumers } as unknown as JetStreamClient;
}

describe('reading a log with a hole, or with lost deliveries (real nats-server)', () => {
  const nats = natsForDescribe(startNatsServer);

  it('a hole in the log stops the reader for good, naming where, after handing on everything before it once and in order', async () => {
    const nc = await nats.connect();
    const jsm = await eventually(() => nc.jetstreamManager(), WAIT);
    // A stream that allows deletes (the command log denies them), to make the hole.
    await eventually(() => jsm.streams.add({ name: 'HOLED', subjects: ['holed'], num_replicas: 1 }), WAIT);
    const js = nc.jetstream();
    for (let i = 1; i <= 5; i++) await js.publish('holed', new Uint8Array([i]));
    await jsm.streams.deleteMessage('HOLED', 3);

    const read = (fromSeq: number) => {
      const handed: number[] = [];
      let fatal: LogReadFatalError | undefined;
      const reader = new LogReader({
        nc, js, stream: 'HOLED', fromSeq, logger,
        lastSeq: async () => (await jsm.streams.info('HOLED')).state.last_seq,
        onMessage: (seq, data) => {
          expect(data[0]).toBe(seq);
          handed.push(seq);
        },
        onFatal: (error) => { fatal = error; },
      });
      return { reader, handed, fatal: () => fatal };
    };

    const fromStart = read(1);
    // The consumer skips 3, and the stream, asked for 3, holds none: a hole.
    await eventually(() => expect(fromStart.fatal()?.message).toMatch(/skipped from 3 to 4: the stream holds no message 3/), WAIT);
    await fromStart.reader.done;
    expect(fromStart.handed).toEqual([1, 2]);

    const afterHole = read(4);
    await eventually(() => expect(afterHole.handed).toEqual([4, 5]), WAIT);
    await afterHole.reader.stop();
    expect(afterHole.fatal()).toBeUndefined();
  }, 120_000);

  it('a delivery lost by fresh consumer after fresh consumer is read again each time, and the reader goes on (the stream holds it)', async () => {
    const nc = await nats.connect();
    const jsm = await eventually(() => nc.jetstreamManager(), WAIT);
    await eventually(() => jsm.streams.add({ name: 'LOSSY', subjects: ['lossy'], num_replicas: 1 }), WAIT);
    for (let i = 1; i <= 5; i++) await nc.jetstream().publish('lossy', new Uint8Array([i]));

    // The first three consumers lose 3 on the way: the same sequence skipped three times in a row.
    const lostBy: number[] = [];
    const js = losingDeliveries(nc.jetstream(), (seq, consumer) => {
      const lost = seq === 3 && consumer <= 3;
      if (lost) lostBy.push(consumer);
      return lost;
    });
    const handed: number[] = [];
    let fatal: LogReadFatalError | undefined;
    const reader = new LogReader({
      nc, js, stream: 'LOSSY', fromSeq: 1, logger, maxBackoffMs: 100,
      lastSeq: async () => (await jsm.streams.info('LOSSY')).state.last_seq,
      onMessage: (seq, data) => {
        expect(data[0]).toBe(seq);
        handed.push(seq);
      },
      onFatal: (error) => { fatal = error; },
    });
    await eventually(() => expect(handed).toEqual([1, 2, 3, 4, 5]), WAIT);
    await reader.stop();
    expect(lostBy).toEqual([1, 2, 3]);
    expect(fatal).toBeUndefined();
    expect(handed).toEqual([1, 2, 3, 4, 5]);
  }, 120_000);
});
