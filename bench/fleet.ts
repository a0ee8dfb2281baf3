/**
 * Distributed-mode benchmark, on a 3-node JetStream cluster of real nats-server processes on this
 * machine (loopback, file storage, 3 replicas), started by the benchmark itself.
 *
 * Core parts:
 *   append    JetStream append latency of the command log: one envelope at a time (each waits
 *             for its PubAck: the latency a lone command pays), then pipelined with 64 in flight
 *             (what a busy leader sees), p50 / p99 / max and appends per second.
 *   failover  two core node processes (core-main.ts) and a prober that sends a command every
 *             few milliseconds; the leader is killed with SIGKILL and the time from the kill to the
 *             first command acknowledged by the new leader is the failover time. A fresh standby
 *             replaces each killed node; 10 kills, median and max. The lease TTL is the default
 *             (FLEET_LEASE_TTL_MS, 1500 ms) unless --lease-ttl-ms says otherwise.
 *
 *   npm run bench:fleet                         # every part
 *   npm run bench:fleet -- --part failover      # one part (append, failover)
 *   npm run bench:fleet -- --kills 5 --appends 2000
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import pino from 'pino';
import type { NatsConnection } from 'nats';
import { CommandLog } from '../server/src/fleet/command-log.js';
import { decodeCommandReply, encodeCommandRequest } from '../server/src/fleet/envelope.js';
import { commandSubject } from '../server/src/fleet/shard-names.js';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { startNatsCluster, type NatsTestCluster } from '../test/helpers/nats-cluster.js';
import { startCoreProcess, type CoreProcess } from '../test/fleet/support/core-process.js';

const require = createRequire(import.meta.url);
const { build } = require('hdr-histogram-js') as typeof import('hdr-histogram-js');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
function stringOption(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const APPENDS = option('--appends', 5_000);
const KILLS = option('--kills', 10);
const LEASE_TTL_MS = option('--lease-ttl-ms', DEFAULT_CONFIG.fleet.leaseTtlMs);
const PART = stringOption('--part');
const logger = pino({ level: 'silent' });
const out = (line: string) => console.log(line);
const ms = (nanos: number) => (nanos / 1e6).toFixed(2);

async function appendLatency(cluster: NatsTestCluster): Promise<void> {
  const nc = await cluster.connect();
  try {
    const log = await CommandLog.open(nc, { shard: 90, replicas: 3, logger });
    const command = { type: 'Deposit' as const, accountId: 'bench', asset: 'USD', amount: '1.00' };
    let seq = 0;
    // Warm-up: connections, the stream's leader, the file store.
    for (let i = 0; i < 200; i++) await log.append({ seq: ++seq, time: Date.now(), term: 1, command });

    const single = build({ lowestDiscernibleValue: 1_000, highestTrackableValue: 10e9, numberOfSignificantValueDigits: 3 });
    let started = process.hrtime.bigint();
    for (let i = 0; i < APPENDS; i++) {
      const t0 = process.hrtime.bigint();
      await log.append({ seq: ++seq, time: Date.now(), term: 1, command });
      single.recordValue(Number(process.hrtime.bigint() - t0));
    }
    let seconds = Number(process.hrtime.bigint() - started) / 1e9;
    out(`append, one at a time: ${APPENDS} appends, p50 ${ms(single.getValueAtPercentile(50))} ms, p99 ${ms(single.getValueAtPercentile(99))} ms, max ${ms(single.maxValue)} ms, ${(APPENDS / seconds).toFixed(0)} appends/s`);

    const pipelined = build({ lowestDiscernibleValue: 1_000, highestTrackableValue: 10e9, numberOfSignificantValueDigits: 3 });
    const WINDOW = 64;
    started = process.hrtime.bigint();
    let issued = 0;
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      const issue = (): void => {
        if (issued >= APPENDS) return;
        issued++;
        const t0 = process.hrtime.bigint();
        log.append({ seq: ++seq, time: Date.now(), term: 1, command }).then(() => {
          pipelined.recordValue(Number(process.hrtime.bigint() - t0));
          if (++done === APPENDS) resolve();
          else issue();
        }, reject);
      };
      for (let i = 0; i < WINDOW; i++) issue();
    });
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    out(`append, ${WINDOW} in flight: ${APPENDS} appends, p50 ${ms(pipelined.getValueAtPercentile(50))} ms, p99 ${ms(pipelined.getValueAtPercentile(99))} ms, max ${ms(pipelined.maxValue)} ms, ${(APPENDS / seconds).toFixed(0)} appends/s`);
  } finally {
    await nc.close();
  }
}

/** Sends a command every `everyMs` with a short timeout; resolves at the first acknowledged after `since`. */
async function firstAckAfter(nc: NatsConnection, since: bigint, n: { value: number }): Promise<bigint> {
  for (;;) {
    const sentAt = process.hrtime.bigint();
    try {
      const reply = decodeCommandReply((await nc.request(commandSubject(0), encodeCommandRequest({ type: 'Deposit', accountId: 'bench', asset: 'USD', amount: `${++n.value}` }), { timeout: 250 })).data);
      if ('seq' in reply && sentAt >= since) return process.hrtime.bigint();
    } catch {
      // No leader yet (no responders, timeout): try again at once.
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function waitForRole(node: CoreProcess, role: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (node.role === role) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${node.nodeId} did not become ${role}: ${JSON.stringify(node.lines.slice(-5))}`));
      setTimeout(check, 10);
    };
    check();
  });
}

async function failover(cluster: NatsTestCluster): Promise<void> {
  const nc = await cluster.connect();
  const nodes: CoreProcess[] = [];
  const start = (id: number) => {
    const node = startCoreProcess({ nodeId: `bench-${id}`, servers: cluster.servers, shard: 0, leaseTtlMs: LEASE_TTL_MS });
    nodes.push(node);
    return node;
  };
  try {
    let leader = start(0);
    await waitForRole(leader, 'leader');
    let standby = start(1);
    await waitForRole(standby, 'standby');
    const jsm = await nc.jetstreamManager();
    await jsm.streams.info('CORE_LOG_0');
    const counter = { value: 0 };
    await nc.request(commandSubject(0), encodeCommandRequest({ type: 'AddAsset', spec: { asset: 'USD', decimals: 2 } }), { timeout: 5_000 });
    await nc.request(commandSubject(0), encodeCommandRequest({ type: 'CreateAccount', accountId: 'bench' }), { timeout: 5_000 });
    const times: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // Load before the kill: the standby is following a live log.
      for (let i = 0; i < 50; i++) await firstAckAfter(nc, 0n, counter);
      const killedAt = process.hrtime.bigint();
      await leader.signal('SIGKILL');
      const ackedAt = await firstAckAfter(nc, killedAt, counter);
      const took = Number(ackedAt - killedAt) / 1e6;
      times.push(took);
      await waitForRole(standby, 'leader');
      out(`kill ${kill}: ${standby.nodeId} leads, first acknowledgement ${took.toFixed(0)} ms after the kill`);
      leader = standby;
      standby = start(kill + 1);
      await waitForRole(standby, 'standby');
    }
    const sorted = [...times].sort((x, y) => x - y);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    out(`failover over ${KILLS} leader kills (lease TTL ${LEASE_TTL_MS} ms): median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (target: within 2000 ms: ${sorted.at(-1)! <= 2_000 ? 'met' : 'missed'})`);
  } finally {
    for (const node of nodes) await node.signal('SIGKILL');
    await nc.close();
  }
}

async function main(): Promise<void> {
  out(`bench:fleet, ${cpus().length} cores, load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const cluster = await startNatsCluster();
  try {
    if (!PART || PART === 'append') await appendLatency(cluster);
    if (!PART || PART === 'failover') await failover(cluster);
  } finally {
    await cluster.close();
  }
  out(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
