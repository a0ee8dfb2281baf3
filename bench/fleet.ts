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
 *   rest      signed REST create-order (POST /v1/orders, autocannon, --connections over
 *             --duration s) against, in one run: a bare express 5 POST JSON server (the moonshot's
 *             yardstick), the embedded single process (server/src/main.ts, embedded stores), and
 *             the fleet: a core leader and a hot standby process on this 3-node cluster, with
 *             1 then 2 gateway processes (gateway-main.ts, STORES=external: Redis at REDIS_URL under
 *             a key prefix of the run's own, PostgreSQL on DATABASE_URL's server in a database of
 *             the run's own, dropped after); the connections are spread over the gateways. Then
 *             the round trip of one order at a time (a signed POST /v1/orders to its 201, one
 *             client, keep-alive), p50 / p99, through the embedded process and through a gateway.
 *
 *   npm run bench:fleet                         # every part
 *   npm run bench:fleet -- --part failover      # one part (append, failover, rest)
 *   npm run bench:fleet -- --kills 5 --appends 2000 --duration 10 --connections 50 --round-trips 2000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { NatsConnection } from 'nats';
import { CommandLog } from '../server/src/fleet/command-log.js';
import { decodeCommandReply, encodeCommandRequest } from '../server/src/fleet/envelope.js';
import { commandSubject } from '../server/src/fleet/shard-names.js';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { startNatsCluster, type NatsTestCluster } from '../test/helpers/nats-cluster.js';
import { startCoreProcess, type CoreProcess } from '../test/fleet/support/core-process.js';
import {
  BENCH_CONFIG_FILE, benchAccount, benchDatabase, deleteRedisKeys, run, startBenchService, startProcess, type BenchPlans, type Figures,
} from './support/signed-rest.js';

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
const LOAD = { connections: option('--connections', 50), duration: option('--duration', 10) };
const ROUND_TRIPS = option('--round-trips', 2_000);
/** The REST part's shard: the failover part kills shard 0's leaders on the same cluster. */
const REST_SHARD = 1;
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

/** One signed create-order at a time through `base`, on a keep-alive connection: p50 / p99 of request to 201. */
async function roundTrip(name: string, base: string, plans: BenchPlans): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(base);
  const place = (): Promise<number> => new Promise((resolve, reject) => {
    const { body, headers } = plans.nextOrder();
    const req = request({ host: hostname, port, path: '/v1/orders', method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
  try {
    for (let i = 0; i < 100; i++) await place(); // warm-up
    const latency = build({ lowestDiscernibleValue: 1_000, highestTrackableValue: 10e9, numberOfSignificantValueDigits: 3 });
    let refused = 0;
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const t0 = process.hrtime.bigint();
      const status = await place();
      latency.recordValue(Number(process.hrtime.bigint() - t0));
      if (status !== 201) refused++;
    }
    const figures = { p50: latency.getValueAtPercentile(50) / 1e6, p99: latency.getValueAtPercentile(99) / 1e6 };
    out(`${name.padEnd(40)} round trip of one order at a time, ${ROUND_TRIPS} orders: p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms, max ${ms(latency.maxValue)} ms, non-201 ${refused}`);
    return figures;
  } finally {
    agent.destroy();
  }
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

async function restThroughput(cluster: NatsTestCluster): Promise<void> {
  out(`\nsigned REST create-order, ${LOAD.connections} connections, ${LOAD.duration} s each (autocannon in this process, on the same cores):`);
  const bare = await startProcess(['bench/bare-express.ts'], { PORT: '0' }, 'bare express listening');
  const bareFigures = await run('bare express POST JSON', {
    url: `http://127.0.0.1:${bare.port}/echo`, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: '100.00', quantity: '0.01' }),
  }, LOAD);
  await bare.stop();

  const single = await startBenchService({});
  const embedded = await run('embedded, one process: signed POST', single.placeOrders(), LOAD);
  const embeddedTrip = await roundTrip('embedded, one process', single.url, single);
  await single.stop();

  const nodes: CoreProcess[] = [];
  const gateways: { stop(): Promise<void> }[] = [];
  const dirs: string[] = [];
  const database = await benchDatabase('fleet');
  const prefix = `bench-fleet:${process.pid}:`;
  try {
    nodes.push(startCoreProcess({ nodeId: 'rest-core-1', servers: cluster.servers, shard: REST_SHARD }));
    await waitForRole(nodes[0]!, 'leader');
    nodes.push(startCoreProcess({ nodeId: 'rest-core-2', servers: cluster.servers, shard: REST_SHARD }));
    await waitForRole(nodes[1]!, 'standby');
    const startGateway = async (): Promise<{ url: string; dataDir: string }> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'bench-fleet-gateway-'));
      dirs.push(dataDir);
      const gateway = await startProcess(['server/src/fleet/gateway-main.ts'], {
        STORES: 'external', NATS_URL: cluster.servers.join(','), FLEET_SHARD: String(REST_SHARD), FLEET_DEMO_BOT: 'false',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, DATABASE_URL: database.url,
        SECRETS_KEY: 'cd'.repeat(32), DATA_DIR: dataDir, PORT: '0', FIX_PORT: '0', MODE: 'production', CONFIG_FILE: BENCH_CONFIG_FILE,
      }, 'REST gateway listening');
      gateways.push(gateway);
      return { url: `http://127.0.0.1:${gateway.port}`, dataDir };
    };
    const first = await startGateway();
    const oneGateway = await benchAccount(first.url, first.dataDir);
    const fleetOne = await run('fleet, 1 gateway: signed POST', oneGateway.placeOrders(), LOAD);
    const gatewayTrip = await roundTrip('fleet, 1 gateway', first.url, oneGateway);
    const second = await startGateway();
    // The same account and keys (PostgreSQL), the connections spread over both gateways.
    const bothGateways = { ...oneGateway, placeOrders: () => ({ ...oneGateway.placeOrders(), url: [first.url, second.url] as unknown as string }) };
    const fleetTwo = await run('fleet, 2 gateways: signed POST', bothGateways.placeOrders(), LOAD);

    out(`\nfleet / embedded create-order: 1 gateway ${pct(fleetOne.rps, embedded.rps)}, 2 gateways ${pct(fleetTwo.rps, embedded.rps)}`);
    out(`2 gateways / bare express POST = ${pct(fleetTwo.rps, bareFigures.rps)} (moonshot: >= 100 %: ${fleetTwo.rps >= bareFigures.rps ? 'met' : 'missed'}); embedded / bare express = ${pct(embedded.rps, bareFigures.rps)}`);
    out(`order round trip, one at a time: embedded p50 ${embeddedTrip.p50.toFixed(2)} ms p99 ${embeddedTrip.p99.toFixed(2)} ms; through a gateway p50 ${gatewayTrip.p50.toFixed(2)} ms p99 ${gatewayTrip.p99.toFixed(2)} ms`);
    reportRefusals([embedded, fleetOne, fleetTwo]);
  } finally {
    for (const gateway of gateways) await gateway.stop();
    for (const node of nodes) await node.signal('SIGTERM');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await deleteRedisKeys(prefix);
    await database.drop();
  }
}

function reportRefusals(runs: Figures[]): void {
  const failed = runs.filter((f) => f.non2xx > 0 || f.errors > 0);
  if (failed.length > 0) out(`WARNING: refusals or errors in ${failed.map((f) => f.name).join(', ')}: the figures above include them`);
}

async function main(): Promise<void> {
  out(`bench:fleet, ${cpus().length} cores, load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const cluster = await startNatsCluster();
  try {
    if (!PART || PART === 'append') await appendLatency(cluster);
    if (!PART || PART === 'failover') await failover(cluster);
    if (!PART || PART === 'rest') await restThroughput(cluster);
  } finally {
    await cluster.close();
  }
  out(`load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
