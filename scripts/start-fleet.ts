/**
 * `npm run start:fleet`: distributed mode on this machine, in one command. Starts two core nodes
 * of shard 0 (one leads, the other is its hot standby) and two gateway processes, against the
 * local NATS with JetStream, Redis and PostgreSQL:
 *
 *   NATS_URL      nats://127.0.0.1:4222 (FLEET_REPLICAS 1 for a single nats-server)
 *   REDIS_URL     redis://127.0.0.1:6379 (keys prefixed `fleet:`)
 *   DATABASE_URL  postgres://postgres@127.0.0.1:5432/trading_fleet (created if missing)
 *
 * Gateway 1 serves HTTP on FLEET_HTTP_PORT (8080) and FIX on FLEET_FIX_PORT (9878), gateway 2 on
 * the next ports; gateway 1 runs the demo market maker. The core nodes serve /metrics and
 * /health/{live,ready} on FLEET_CORE_HTTP_PORT (9464) and the next port. State: FLEET_DIR (./data/fleet), one
 * directory per gateway and the fleet's secrets key. Each process's log lines are written to
 * stdout as they are, with `fleetProcess` and `pid` added. Ctrl-C (or SIGTERM) stops the gateways,
 * then the core nodes. A process that dies is reported and not restarted: the others go on (that
 * is what the fleet is for).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';

const env = process.env;
const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trading_fleet';
const fleetDir = resolve(env.FLEET_DIR ?? './data/fleet');
const httpPort = Number(env.FLEET_HTTP_PORT ?? 8080);
const fixPort = Number(env.FLEET_FIX_PORT ?? 9878);
const coreHttpPort = Number(env.FLEET_CORE_HTTP_PORT ?? 9464);
const tsx = resolve('node_modules/.bin/tsx');

interface Member { name: string; child: ChildProcess; exited: Promise<number | null> }
const members: Member[] = [];
let stopping = false;

function say(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), fleetProcess: 'start-fleet', msg: message, ...fields })}\n`);
}

/** Creates the database named by DATABASE_URL if the server does not have it. */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${name}`);
      say('created the fleet database', { database: name });
    }
  } finally {
    await client.end();
  }
}

/** One secrets key for every gateway: API secrets in PostgreSQL are sealed with it. */
function fleetSecretsKey(): string {
  if (env.SECRETS_KEY) return env.SECRETS_KEY;
  const file = join(fleetDir, 'secrets.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function launch(name: string, entry: string, extraEnv: Record<string, string>): Member {
  const child = spawn(tsx, [entry], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tag = (line: string): string => {
    // Pino lines are JSON objects: the process is named inside them; anything else is wrapped.
    if (line.startsWith('{') && line.endsWith('}')) return `{"fleetProcess":${JSON.stringify(name)},"pid":${child.pid},${line.slice(1)}\n`;
    return `${JSON.stringify({ fleetProcess: name, pid: child.pid, text: line })}\n`;
  };
  createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(tag(line)));
  createInterface({ input: child.stderr! }).on('line', (line) => process.stdout.write(tag(line)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code, signal) => {
    if (!stopping) say(`${name} exited; the rest of the fleet goes on`, { process: name, pid: child.pid, code, signal });
    done(code);
  }));
  const member = { name, child, exited };
  members.push(member);
  say(`started ${name}`, { process: name, pid: child.pid });
  return member;
}

/** Resolves once the gateway answers /health/ready with 200 (or rejects if it exits first). */
async function ready(member: Member, port: number): Promise<void> {
  let exited = false;
  void member.exited.then(() => { exited = true; });
  for (;;) {
    if (exited) throw new Error(`${member.name} exited during start-up (see its log lines above)`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping the fleet: gateways first, then the core nodes', { signal });
  const gateways = members.filter((m) => m.name.startsWith('gateway'));
  const cores = members.filter((m) => m.name.startsWith('core'));
  for (const group of [gateways, cores]) {
    for (const m of group) m.child.kill('SIGTERM');
    await Promise.all(group.map((m) => m.exited));
  }
  say('fleet stopped');
  process.exit(exitCode);
}

async function main(): Promise<void> {
  mkdirSync(fleetDir, { recursive: true });
  await ensureDatabase(databaseUrl);
  const secretsKey = fleetSecretsKey();
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const shared = { NATS_URL: natsUrl, FLEET_REPLICAS: env.FLEET_REPLICAS ?? '1', FLEET_SHARD: env.FLEET_SHARD ?? '0' };
  launch('core-1', 'server/src/fleet/core-main.ts', { ...shared, FLEET_NODE_ID: 'core-1', FLEET_CORE_HTTP_PORT: String(coreHttpPort) });
  launch('core-2', 'server/src/fleet/core-main.ts', { ...shared, FLEET_NODE_ID: 'core-2', FLEET_CORE_HTTP_PORT: String(coreHttpPort + 1) });
  const gatewayEnv = (index: number): Record<string, string> => {
    const dataDir = join(fleetDir, `gateway-${index}`);
    mkdirSync(dataDir, { recursive: true });
    return {
      ...shared, STORES: 'external', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX ?? 'fleet:', DATABASE_URL: databaseUrl,
      SECRETS_KEY: secretsKey, DATA_DIR: dataDir, PORT: String(httpPort + index - 1), FIX_PORT: String(fixPort + index - 1),
      FLEET_DEMO_BOT: index === 1 ? (env.FLEET_DEMO_BOT ?? 'true') : 'false',
    };
  };
  // One after the other: the second finds the markets and accounts the first set up.
  const first = launch('gateway-1', 'server/src/fleet/gateway-main.ts', gatewayEnv(1));
  await ready(first, httpPort);
  const second = launch('gateway-2', 'server/src/fleet/gateway-main.ts', gatewayEnv(2));
  await ready(second, httpPort + 1);
  say('fleet ready', {
    gateways: [1, 2].map((i) => ({ http: `http://127.0.0.1:${httpPort + i - 1}`, fix: `tcp://127.0.0.1:${fixPort + i - 1}` })),
    cores: [1, 2].map((i) => ({ metrics: `http://127.0.0.1:${coreHttpPort + i - 1}/metrics`, ready: `http://127.0.0.1:${coreHttpPort + i - 1}/health/ready` })),
    demoCredentials: join(fleetDir, 'gateway-1', 'demo-credentials.json'),
    pids: Object.fromEntries(members.map((m) => [m.name, m.child.pid])),
  });
}

main().catch(async (err: unknown) => {
  process.stderr.write(`start:fleet failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stop('start-up failure', 1).catch(() => process.exit(1));
});
