/**
 * Real nats-server processes with JetStream for the distributed-mode tests: a 3-node cluster on
 * free loopback ports (streams with 3 replicas), or a single node. Each node keeps its JetStream
 * files in a temp dir of the cluster's own, so a node that is killed and restarted comes back with
 * what it had stored. `close()` in afterAll. The binary is on the machine (see .ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, type ConnectionOptions } from 'nats';
import { freePort } from './free-port.js';
import { eventually } from './eventually.js';
import { ExitedAtStart, waitServing } from './wait-serving.js';

export interface NatsTestNode {
  name: string;
  /** Client URL of this node alone. */
  url: string;
  /** The process id while it runs (for SIGSTOP/SIGCONT in chaos tests), else undefined. */
  readonly pid: number | undefined;
  readonly running: boolean;
}

export interface NatsTestCluster {
  nodes: readonly NatsTestNode[];
  /** Every node's client URL: what a client connects to (it fails over between them). */
  servers: string[];
  /** The replica count streams and KV buckets should use on this cluster (3, or 1 on one node). */
  replicas: number;
  /** Connects a client to the whole cluster, reconnecting for ever (tests close it). */
  connect(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** SIGKILLs node `index` and waits for its exit. */
  kill(index: number): Promise<void>;
  /** SIGTERMs node `index` (lame-duck-free shutdown) and waits for its exit. */
  stop(index: number): Promise<void>;
  /** Starts node `index` again with its stored files, on the same ports; resolves once it serves clients. */
  restart(index: number): Promise<void>;
  /** Resolves once JetStream answers through a client of the cluster (a meta leader exists). */
  ready(): Promise<void>;
  /** Kills every node and removes the temp dir. */
  close(): Promise<void>;
}

interface NodePlan { name: string; clientPort: number; clusterPort: number; monitorPort: number; dir: string }

function nodeConfig(node: NodePlan, plans: readonly NodePlan[]): string {
  const lines = [
    `server_name: ${node.name}`,
    `listen: 127.0.0.1:${node.clientPort}`,
    `http: 127.0.0.1:${node.monitorPort}`,
    // Small limits: tests store little, and several clusters may run side by side.
    `jetstream { store_dir: "${join(node.dir, 'js')}", max_memory_store: 64MB, max_file_store: 1GB }`,
  ];
  if (plans.length > 1) {
    const routes = plans.filter((p) => p !== node).map((p) => `nats-route://127.0.0.1:${p.clusterPort}`);
    lines.push(`cluster { name: fleet-test, listen: 127.0.0.1:${node.clusterPort}, routes: [${routes.join(', ')}] }`);
  }
  return lines.join('\n') + '\n';
}

/** `/healthz` (JetStream current) at start; `/varz` (serving clients) after a restart, when the rest of the cluster may be down. */
async function answers(monitorPort: number, path: '/healthz' | '/varz'): Promise<boolean> {
  try {
    // Whatever holds the port may accept and never answer: then it is not (yet) our node.
    const response = await fetch(`http://127.0.0.1:${monitorPort}${path}`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Attempts at a first start, each on fresh ports, before the helper gives up. */
const START_ATTEMPTS = 3;

export interface NatsStartOptions {
  /** Where the nodes' ports come from (tests of the helper hand it a taken port); freePort by default. */
  portSource?: () => Promise<number>;
}

async function planNodes(count: number, root: string, port: () => Promise<number>): Promise<NodePlan[]> {
  const plans: NodePlan[] = [];
  for (let i = 0; i < count; i++) {
    plans.push({ name: `n${i + 1}`, clientPort: await port(), clusterPort: await port(), monitorPort: await port(), dir: join(root, `n${i + 1}`) });
  }
  return plans;
}

async function startNodes(count: number, { portSource = freePort }: NatsStartOptions = {}): Promise<NatsTestCluster> {
  const root = mkdtempSync(join(tmpdir(), 'nats-cluster-'));
  let plans: NodePlan[] = await planNodes(count, root, portSource);
  const children: (ChildProcess | undefined)[] = plans.map(() => undefined);

  const logFile = (index: number): string => join(root, `${plans[index]!.name}.log`);
  const logTail = (index: number): string => {
    const file = logFile(index);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n') : '(no log)';
  };
  const launch = (index: number): void => {
    const plan = plans[index]!;
    const configFile = join(root, `${plan.name}.conf`);
    writeFileSync(configFile, nodeConfig(plan, plans));
    // Each node's log goes to a file in the temp dir: read it when a test fails.
    const log = openSync(logFile(index), 'a');
    children[index] = spawn('nats-server', ['-c', configFile], { stdio: ['ignore', log, log] });
    closeSync(log);
  };
  const waitAnswers = (index: number, path: '/healthz' | '/varz'): Promise<void> => waitServing(children[index]!, {
    name: `nats-server ${plans[index]!.name} (${path}, logs in ${root})`,
    serves: () => answers(plans[index]!.monitorPort, path),
    logTail: () => logTail(index),
    timeoutMs: 60_000,
  });
  const terminate = async (index: number, signal: NodeJS.Signals): Promise<void> => {
    const child = children[index];
    children[index] = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A stopped (SIGSTOP) node must be continued to act on SIGTERM.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  };

  const servers = (): string[] => plans.map((p) => `nats://127.0.0.1:${p.clientPort}`);
  const connectAll = (options: Partial<ConnectionOptions> = {}): Promise<NatsConnection> =>
    connect({ servers: servers(), maxReconnectAttempts: -1, reconnectTimeWait: 100, ...options });
  const ready = async (): Promise<void> => {
    const nc = await connectAll({ timeout: 5_000 });
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5_000 });
      await eventually(() => jsm.getAccountInfo(), { timeoutMs: 60_000, intervalMs: 100 });
    } finally {
      await nc.close();
    }
  };

  for (let attempt = 1; ; attempt++) {
    for (let i = 0; i < count; i++) launch(i);
    try {
      for (let i = 0; i < count; i++) await waitAnswers(i, '/healthz');
      await ready();
      break;
    } catch (error) {
      for (let i = 0; i < count; i++) await terminate(i, 'SIGKILL');
      if (!(error instanceof ExitedAtStart) || attempt === START_ATTEMPTS) throw error;
      // A node died at start: start the whole cluster again on fresh ports with empty stores (the
      // logs stay, appended to).
      for (const plan of plans) rmSync(plan.dir, { recursive: true, force: true });
      plans = await planNodes(count, root, portSource);
    }
  }

  const nodes: NatsTestNode[] = plans.map((plan, index) => ({
    name: plan.name,
    url: `nats://127.0.0.1:${plan.clientPort}`,
    get pid() { return children[index]?.pid; },
    get running() { return children[index] !== undefined; },
  }));

  return {
    nodes,
    servers: servers(),
    replicas: count >= 3 ? 3 : 1,
    connect: connectAll,
    kill: (index) => terminate(index, 'SIGKILL'),
    stop: (index) => terminate(index, 'SIGTERM'),
    restart: async (index) => {
      if (children[index]) throw new Error(`nats-server ${plans[index]!.name} is running`);
      launch(index);
      await waitAnswers(index, '/varz');
    },
    ready,
    close: async () => {
      for (let i = 0; i < count; i++) await terminate(i, 'SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A 3-node JetStream cluster on loopback; resolves once JetStream has a meta leader. */
export function startNatsCluster(options?: NatsStartOptions): Promise<NatsTestCluster> {
  return startNodes(3, options);
}

/** One JetStream node (replicas 1), same interface. */
export function startNatsServer(options?: NatsStartOptions): Promise<NatsTestCluster> {
  return startNodes(1, options);
}
