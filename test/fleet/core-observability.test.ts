/**
 * A core node process's HTTP listener (FLEET_CORE_HTTP_PORT): /metrics counts the JetStream
 * appends it made and its leadership changes and shows its role and applied seq; /health/ready
 * answers 200 for the leader and for a standby caught up with the log, 503 otherwise. Two real
 * core-main processes on a real 3-node JetStream cluster; the leader is killed to see the
 * standby's metrics after it takes over. A closed node in this process shows the 503.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import { startCoreHttp } from '../../server/src/fleet/core-http.js';
import { createCoreNodeMetrics } from '../../server/src/fleet/core-metrics.js';
import { CoreNode } from '../../server/src/fleet/core-node.js';
import type { Command } from '../../server/src/core/api.js';
import { decodeCommandReply, encodeCommandRequest, type CommandReply } from '../../server/src/fleet/envelope.js';
import { commandSubject } from '../../server/src/fleet/shard-names.js';
import { startNatsCluster, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/free-port.js';
import { sampleSum, scrape } from '../observability/exposition.js';

const SHARD = 7;
const DEPOSITS = 50;
/** Long enough that a leader starved of CPU (CI runs under stress) keeps its lease: one leader change per takeover. */
const LEASE_TTL_MS = 3_000;
const SET_UP: Command[] = [
  { type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } },
  { type: 'CreateAccount', accountId: 'alice' },
];

interface CoreWithHttp { child: ChildProcess; url: string; exited: Promise<unknown>; output: string[] }

async function startCore(cluster: NatsTestCluster, nodeId: string): Promise<CoreWithHttp> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/fleet/core-main.ts'], {
    env: {
      ...process.env, NATS_URL: cluster.servers.join(','), FLEET_SHARD: String(SHARD), FLEET_REPLICAS: '3', FLEET_NODE_ID: nodeId,
      FLEET_LEASE_TTL_MS: String(LEASE_TTL_MS), FLEET_CORE_HTTP_PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', MODE: 'demo',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, url: `http://127.0.0.1:${port}`, exited, output };
}

async function get(core: CoreWithHttp, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${core.url}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The node's role by its role gauge. */
async function roleOf(core: CoreWithHttp): Promise<string | undefined> {
  const text = await scrape(core.url).catch((error: unknown) => {
    throw new Error(`${core.url} does not answer (${(error as Error).message}); its output:\n${core.output.join('')}`);
  });
  return ['starting', 'standby', 'leader', 'closed'].find((role) => sampleSum(text, 'trading_core_role', { role }) === 1);
}

describe('core node /metrics and /health', () => {
  let cluster: NatsTestCluster;
  let nc: NatsConnection;
  const cores: CoreWithHttp[] = [];

  async function request(command: Command): Promise<CommandReply> {
    const message = await nc.request(commandSubject(SHARD), encodeCommandRequest(command), { timeout: 10_000 });
    return decodeCommandReply(message.data);
  }

  beforeAll(async () => {
    cluster = await startNatsCluster();
    nc = await cluster.connect();
  });
  afterAll(async () => {
    for (const core of cores) {
      core.child.kill('SIGKILL');
      await core.exited;
    }
    await nc?.close();
    await cluster?.close();
  });

  it('the leader counts each append and shows its role and applied seq; a caught-up standby is ready; the new leader counts its takeover', async () => {
    const a = await startCore(cluster, 'obs-a');
    cores.push(a);
    await eventually(async () => expect(await roleOf(a)).toBe('leader'), { timeoutMs: 60_000, intervalMs: 100 });
    const b = await startCore(cluster, 'obs-b');
    cores.push(b);
    await eventually(async () => expect(await roleOf(b)).toBe('standby'), { timeoutMs: 60_000, intervalMs: 100 });
    expect((await get(a, '/health/live')).status).toBe(200);

    for (const command of SET_UP) expect(await request(command)).toHaveProperty('seq');
    const replies = await Promise.all(Array.from({ length: DEPOSITS }, (_, i) => request({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: `${i + 1}.00` })));
    expect(replies.every((r) => 'seq' in r)).toBe(true);
    const total = SET_UP.length + DEPOSITS;

    // Every reply followed its PubAck, so every append is observed by the time the last reply came.
    const leaderText = await scrape(a.url);
    expect(sampleSum(leaderText, 'trading_jetstream_append_duration_seconds_count')).toBe(total);
    expect(sampleSum(leaderText, 'trading_core_applied_seq')).toBe(total);
    expect(sampleSum(leaderText, 'trading_core_term')).toBeGreaterThan(0);
    expect(sampleSum(leaderText, 'trading_leader_changes_total')).toBe(1);
    const leaderReady = await get(a, '/health/ready');
    expect(leaderReady.status).toBe(200);
    expect(JSON.parse(leaderReady.body)).toMatchObject({ status: 'ready', checks: { core: { ok: true, role: 'leader', appliedSeq: total } } });

    // The standby is ready once it has applied the whole log; it appended nothing and never led.
    await eventually(async () => {
      const ready = await get(b, '/health/ready');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ checks: { core: { role: 'standby', appliedSeq: total, logSeq: total } } });
    }, { timeoutMs: 30_000, intervalMs: 100 });
    const standbyText = await scrape(b.url);
    expect(sampleSum(standbyText, 'trading_core_applied_seq')).toBe(total);
    expect(sampleSum(standbyText, 'trading_jetstream_append_duration_seconds_count')).toBe(0);
    expect(sampleSum(standbyText, 'trading_leader_changes_total')).toBe(0);

    // The leader dies; the standby takes the lease once it lapses and counts one leadership change.
    a.child.kill('SIGKILL');
    await a.exited;
    await eventually(async () => expect(await roleOf(b)).toBe('leader'), { timeoutMs: 60_000, intervalMs: 100 });
    expect(await request({ type: 'Deposit', accountId: 'alice', asset: 'USD', amount: '1.00' })).toEqual({ seq: total + 1 });
    const takenOver = await scrape(b.url);
    expect(sampleSum(takenOver, 'trading_leader_changes_total')).toBe(1);
    expect(sampleSum(takenOver, 'trading_jetstream_append_duration_seconds_count')).toBe(1);
    expect(sampleSum(takenOver, 'trading_core_applied_seq')).toBe(total + 1);
    expect((await get(b, '/health/ready')).status).toBe(200);
  });

  it('a leader that gives its lease up on SIGTERM hands over at once, and the standby counts one change', async () => {
    const b = cores[1]!;
    const c = await startCore(cluster, 'obs-c');
    cores.push(c);
    await eventually(async () => expect(await roleOf(c)).toBe('standby'), { timeoutMs: 60_000, intervalMs: 100 });
    // SIGTERM: the leader gives its lease up; c takes over at once.
    b.child.kill('SIGTERM');
    await eventually(async () => expect(await roleOf(c)).toBe('leader'), { timeoutMs: 60_000, intervalMs: 100 });
    await b.exited;
    expect(sampleSum(await scrape(c.url), 'trading_leader_changes_total')).toBe(1);
    await expect(get(b, '/health/live')).rejects.toThrow();
  });

  it('a node that is not serving answers /health/ready with 503 and says why', async () => {
    const own = await cluster.connect();
    const node = await CoreNode.start({ nc: own, shard: SHARD + 1, nodeId: 'obs-closed', replicas: 3, leaseTtlMs: LEASE_TTL_MS, logger: pino({ level: 'silent' }) });
    const metrics = createCoreNodeMetrics({ defaultMetrics: false });
    metrics.watch(node);
    const http = await startCoreHttp({ host: '127.0.0.1', port: 0, registry: metrics.registry, readiness: () => node.readiness() });
    try {
      await eventually(async () => expect((await fetch(`http://127.0.0.1:${http.port}/health/ready`)).status).toBe(200));
      await node.close();
      const res = await fetch(`http://127.0.0.1:${http.port}/health/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { core: { ok: false, role: 'closed', detail: 'the node is closed' } } });
      expect(sampleSum(await scrape(`http://127.0.0.1:${http.port}`), 'trading_core_role', { role: 'closed' })).toBe(1);
      expect((await fetch(`http://127.0.0.1:${http.port}/nothing`)).status).toBe(404);
    } finally {
      await http.close();
      await own.close();
    }
  });
});
