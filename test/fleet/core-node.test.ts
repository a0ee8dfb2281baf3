/**
 * Core nodes on a real 3-node JetStream cluster, in this process: replication to a standby,
 * fencing of a deposed leader, and takeover when a leader's lease lapses. Each test uses a shard
 * of its own on the one cluster. The chaos tests with real processes are in core-chaos.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { NatsConnection } from 'nats';
import type { Command } from '../../server/src/core/api.js';
import { CommandLog, AppendFencedError } from '../../server/src/fleet/command-log.js';
import { CoreNode, NotLeaderError, OutcomeUnknownError } from '../../server/src/fleet/core-node.js';
import { decodeCommandReply, encodeCommandRequest, type CommandReply, type SequencedEnvelope } from '../../server/src/fleet/envelope.js';
import { LeaderLease } from '../../server/src/fleet/leader-lease.js';
import { LogApplier } from '../../server/src/fleet/log-applier.js';
import { LEADER_BUCKET, commandSubject, leaseKey, logStreamName } from '../../server/src/fleet/shard-names.js';
import { createCore } from '../../server/src/core/index.js';
import { startNatsCluster, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { eventually } from '../helpers/eventually.js';

const logger = pino({ level: 'silent' });

const SET_UP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'alice' },
];
const deposit = (cents: number): Command => ({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: (cents / 100).toFixed(2) });

/** Alice's USD total in cents, exactly (no balance row: 0). */
function cents(core: Pick<CoreNode['core'], 'balances'>): bigint {
  const total = core.balances('alice')?.find((b) => b.asset === 'USD')?.total ?? '0';
  const [whole, fraction = ''] = total.split('.');
  return BigInt(whole!) * 100n + BigInt((fraction + '00').slice(0, 2));
}

describe('core nodes on a 3-node JetStream cluster', () => {
  let cluster: NatsTestCluster;
  let nc: NatsConnection;
  const nodes: CoreNode[] = [];
  const connections: NatsConnection[] = [];

  /** A node on a connection of its own (so a test can cut one node off). */
  async function startNode(shard: number, nodeId: string, leaseTtlMs = 1_500): Promise<{ node: CoreNode; nc: NatsConnection }> {
    const own = await cluster.connect();
    connections.push(own);
    const node = await CoreNode.start({ nc: own, shard, nodeId, replicas: 3, leaseTtlMs, logger, appendTimeoutMs: 5_000 });
    nodes.push(node);
    return { node, nc: own };
  }

  /**
   * A command request, sent again while nobody is subscribed (a new leader's subscription reaches
   * the other NATS servers a moment after it leads): "no responders" means nothing was sequenced.
   */
  async function request(shard: number, command: Command): Promise<CommandReply> {
    const message = await eventually(
      () => nc.request(commandSubject(shard), encodeCommandRequest(command), { timeout: 10_000 }),
      { retryIf: (error) => (error as { code?: string }).code === '503' },
    );
    return decodeCommandReply(message.data);
  }


  beforeAll(async () => {
    cluster = await startNatsCluster();
    nc = await cluster.connect();
  });
  afterAll(async () => {
    for (const node of nodes) await node.close().catch(() => undefined);
    for (const c of connections) await c.close().catch(() => undefined);
    await nc?.close();
    await cluster?.close();
  });

  it('the leader appends each command to a 3-replica stream before replying, and a standby applies every one to the same state', async () => {
    const shard = 1;
    const a = await startNode(shard, 'a');
    await eventually(() => expect(a.node.role).toBe('leader'));
    const b = await startNode(shard, 'b');
    expect(b.node.role).toBe('standby');

    const replies: CommandReply[] = [];
    for (const command of SET_UP) replies.push(await request(shard, command));
    // Pipelined: many requests in flight at once, each answered with its own seq.
    replies.push(...await Promise.all(Array.from({ length: 200 }, (_, i) => request(shard, deposit(i + 1)))));
    const seqs = replies.map((r) => ('seq' in r ? r.seq : -1));
    expect(new Set(seqs).size).toBe(202);
    expect(Math.min(...seqs)).toBe(1);
    expect(Math.max(...seqs)).toBe(202);

    // 1 + 2 + … + 200 cents.
    expect(cents(a.node.core)).toBe(20100n);
    await eventually(() => expect(b.node.appliedSeq).toBe(202));
    expect(cents(b.node.core)).toBe(20100n);

    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(logStreamName(shard));
    expect(info.config.num_replicas).toBe(3);
    expect(info.state.last_seq).toBe(202);
    // Every acknowledged command is in the log, in order, with the leader's term.
    const reader = createCore();
    const applier = new LogApplier(reader);
    const log = await CommandLog.open(nc, { shard, replicas: 3, logger });
    const follower = log.follow(1, (envelope) => {
      expect(envelope.term).toBe(a.node.term);
      applier.apply(envelope);
    });
    await follower.whenApplied(202);
    await follower.stop();
    expect(cents(reader)).toBe(20_100n);

    // A standby refuses commands without sequencing them.
    await expect(b.node.submit(deposit(1))).rejects.toBeInstanceOf(NotLeaderError);
    expect(b.node.appliedSeq).toBe(202);
  });

  it('the stream refuses an append that does not follow the last sequence, and voids a deposed leader\'s pipelined append that slips past it', async () => {
    const shard = 2;
    const log = await CommandLog.open(nc, { shard, replicas: 3, logger });
    const envelope = (seq: number, term: number, command: Command): SequencedEnvelope => ({ seq, time: 1_000 + seq, term, command });
    await log.append(envelope(1, 10, SET_UP[0]!));
    await log.append(envelope(2, 10, SET_UP[1]!));
    // The new leader (term 20) appends seq 3; the deposed one (term 10) had seq 3 and 4 in flight.
    await log.append(envelope(3, 20, deposit(100)));
    const stale3 = log.append(envelope(3, 10, deposit(5_000)));
    const stale4 = log.append(envelope(4, 10, deposit(7_000)));
    await expect(stale3).rejects.toBeInstanceOf(AppendFencedError);
    // Seq 4 expected seq 3 last, and the new leader's seq 3 is there: the stream takes it.
    await stale4;
    await expect(log.append(envelope(4, 20, deposit(1)))).rejects.toBeInstanceOf(AppendFencedError);
    await log.append(envelope(5, 20, deposit(200)));

    const reader = createCore();
    const applier = new LogApplier(reader);
    const outcomes: boolean[] = [];
    const follower = log.follow(1, (e) => outcomes.push(applier.apply(e).void));
    await follower.whenApplied(5);
    await follower.stop();
    expect(outcomes).toEqual([false, false, false, true, false]);
    // Only the new leader's deposits: 1.00 + 2.00.
    expect(cents(reader)).toBe(300n);
  });

  it('a leader deposed behind its back has its next append refused, steps down without acknowledging it, and rebuilds to the new leader\'s state', async () => {
    const shard = 3;
    // A long lease: the old leader would not notice its loss for seconds on its own.
    const a = await startNode(shard, 'a', 30_000);
    await eventually(() => expect(a.node.role).toBe('leader'));
    for (const command of SET_UP) expect(await request(shard, command)).toHaveProperty('seq');
    expect(await request(shard, deposit(100))).toEqual({ seq: 3 });
    const b = await startNode(shard, 'b', 30_000);
    await eventually(() => expect(b.node.appliedSeq).toBe(3));

    // An operator removes the lease (as its TTL would): b takes it, a does not know yet.
    const kv = await nc.jetstream().views.kv(LEADER_BUCKET);
    await kv.purge(leaseKey(shard));
    await eventually(() => expect(b.node.role).toBe('leader'));
    expect(a.node.role).toBe('leader');
    expect(b.node.term).toBeGreaterThan(a.node.term);
    await b.node.submit(deposit(200));
    expect(b.node.appliedSeq).toBe(4);

    // The stale leader's command is refused by the stream: never acknowledged, never applied anywhere.
    await expect(a.node.submit(deposit(99_900))).rejects.toBeInstanceOf(OutcomeUnknownError);
    await eventually(() => expect(a.node.role).toBe('standby'));
    await eventually(() => expect(a.node.appliedSeq).toBe(4));
    expect(cents(a.node.core)).toBe(300n);
    expect(cents(b.node.core)).toBe(300n);
    const jsm = await nc.jetstreamManager();
    expect((await jsm.streams.info(logStreamName(shard))).state.last_seq).toBe(4);
  });

  it('when the leader vanishes without a word its lease lapses, and a standby takes over from its last applied seq with every acknowledged command', async () => {
    const shard = 4;
    const a = await startNode(shard, 'a', 1_000);
    await eventually(() => expect(a.node.role).toBe('leader'));
    const b = await startNode(shard, 'b', 1_000);
    for (const command of SET_UP) await request(shard, command);
    const acknowledged = await Promise.all(Array.from({ length: 50 }, () => request(shard, deposit(1))));
    expect(acknowledged.every((r) => 'seq' in r)).toBe(true);

    // The leader's connection dies (as a crashed process's would): no release, its lease must lapse.
    await a.nc.close();
    await eventually(() => expect(b.node.role).toBe('leader'));
    expect(b.node.appliedSeq).toBeGreaterThanOrEqual(52);
    expect(cents(b.node.core)).toBe(50n);
    expect(await request(shard, deposit(50))).toEqual({ seq: 53 });
    expect(cents(b.node.core)).toBe(100n);

    const lease = await LeaderLease.open(nc, { shard, nodeId: 'observer', replicas: 3, ttlMs: 1_000 });
    expect(await lease.current()).toMatchObject({ nodeId: 'b', term: b.node.term });
  });

  it('a leader that closes gives its lease up, so a standby leads without waiting for the TTL', async () => {
    const shard = 5;
    const a = await startNode(shard, 'a', 30_000);
    await eventually(() => expect(a.node.role).toBe('leader'));
    const b = await startNode(shard, 'b', 30_000);
    for (const command of SET_UP) await request(shard, command);
    await a.node.close();
    // A 30 s lease: only a release explains a takeover within the wait.
    await eventually(() => expect(b.node.role).toBe('leader'), { timeoutMs: 20_000 });
    expect(await request(shard, deposit(1))).toEqual({ seq: 3 });
  });
});
