/**
 * What the REST benchmarks share: starting a service process and waiting for its "listening" log
 * line, HMAC-signing requests as a client does, autocannon runs reported one line each, and a
 * bench account with 16 trading keys set up through the operator API, with the request plans
 * (signed create-order, balances, place + cancel) against one or more base URLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Limits high enough that a benchmark measures the service, not its limiter. */
export const BENCH_CONFIG_FILE = join(process.cwd(), 'bench/rest-config.yaml');

export interface StartedProcess { child: ChildProcess; port: number; stop(): Promise<void> }

/**
 * CPU time (user + system, µs) a process has used so far, from /proc (Linux; undefined elsewhere).
 * Per request, it is steadier than req/s on a shared machine: other work slows a run, but hardly
 * changes how much CPU each request takes.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux build Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Spawns `node --import tsx <args>` and resolves with the port of its first `readyMessage` log line. */
export function startProcess(args: string[], env: Record<string, string>, readyMessage: string, nodeArgs: string[] = []): Promise<StartedProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout!.resume();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start`)), 120_000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with code ${code} during start-up`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === readyMessage) {
          clearTimeout(timer);
          resolve({ child, port: entry.port!, stop });
        }
      } catch { /* not a log line */ }
    });
  });
}

export interface Creds { keyId: string; secret: string; lastTimestamp?: number }

export function sign(creds: Creds, method: string, path: string, body: string): Record<string, string> {
  // Strictly increasing timestamps per key keep identical requests (the same GET twice in one ms)
  // from being replays; that allows 1,000 requests per second per key, so the load rotates keys.
  const ts = (creds.lastTimestamp = Math.max(Date.now(), (creds.lastTimestamp ?? 0) + 1));
  const message = `${ts}\n${method}\n${path}\n${createHash('sha256').update(body).digest('hex')}`;
  return {
    'x-api-key': creds.keyId,
    'x-api-timestamp': String(ts),
    'x-api-signature': createHmac('sha256', Buffer.from(creds.secret, 'base64url')).update(message).digest('base64'),
    'content-type': 'application/json',
  };
}

export async function call(base: string, creds: Creds, method: string, path: string, body?: unknown): Promise<any> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const res = await fetch(base + path, { method, headers: sign(creds, method, path, text), ...(text && { body: text }) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export interface Figures { name: string; rps: number; p50: number; p99: number; errors: number; non2xx: number; /** Requests answered. */ total: number }

/** One autocannon run (defaults: `connections` and `duration` seconds), printed as one line. */
export async function run(name: string, opts: autocannon.Options, defaults: { connections: number; duration: number }): Promise<Figures> {
  const r = await autocannon({ ...defaults, ...opts });
  const f = { name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, total: r.requests.total };
  process.stdout.write(`${name.padEnd(40)} ${String(f.rps).padStart(7)} req/s   p50 ${f.p50} ms   p99 ${f.p99} ms   non-2xx ${f.non2xx}   errors ${f.errors}\n`);
  return f;
}

export interface BenchPlans {
  /** A signed create-order request (body and headers) for POST /v1/orders, on the next key. */
  nextOrder(): { body: string; headers: Record<string, string> };
  balances(): autocannon.Options;
  placeOrders(): autocannon.Options;
  placeAndCancel(): autocannon.Options;
}

/**
 * Through the operator credentials in `operatorDir`, on `setupUrl`: a bench account funded with
 * USD and 16 trading keys. The plans spread their connections over `urls` (every gateway of a
 * fleet, or the one service).
 */
export async function benchAccount(setupUrl: string, operatorDir: string, urls: string | string[] = setupUrl): Promise<BenchPlans> {
  const operator = JSON.parse(readFileSync(join(operatorDir, 'operator-credentials.json'), 'utf8')) as Creds;
  await call(setupUrl, operator, 'POST', '/v1/operator/accounts', { accountId: 'bench', maxOpenOrders: 100_000 });
  await call(setupUrl, operator, 'POST', '/v1/operator/accounts/bench/deposits', { asset: 'USD', amount: '1000000000' });
  const keys: Creds[] = [];
  for (let i = 0; i < 16; i++) {
    const key = await call(setupUrl, operator, 'POST', '/v1/operator/accounts/bench/api-keys', { label: `bench ${i}`, scopes: ['read', 'trade'] });
    keys.push({ keyId: key.key.keyId, secret: key.secret });
  }
  let turn = 0;
  const nextKey = () => keys[turn++ % keys.length]!;
  let n = 0;
  const orderBody = () => JSON.stringify({ symbol: 'BTC-USD', side: 'buy', type: 'limit', price: `${10000 + (n++ % 500)}.00`, quantity: '0.001' });
  const signedOrder = (req: autocannon.Request): autocannon.Request => {
    const body = orderBody();
    return { ...req, body, headers: sign(nextKey(), 'POST', '/v1/orders', body) };
  };
  // autocannon spreads connections over a list of URLs, though its types say one string.
  const url = urls as string;
  return {
    nextOrder: () => {
      const body = orderBody();
      return { body, headers: sign(nextKey(), 'POST', '/v1/orders', body) };
    },
    balances: () => ({
      url,
      requests: [{ method: 'GET', path: '/v1/balances', setupRequest: (req) => ({ ...req, headers: sign(nextKey(), 'GET', '/v1/balances', '') }) }],
    }),
    placeOrders: () => ({ url, requests: [{ method: 'POST', path: '/v1/orders', setupRequest: signedOrder }] }),
    placeAndCancel: () => ({
      url,
      requests: [
        {
          method: 'POST', path: '/v1/orders', setupRequest: signedOrder,
          onResponse: (status, body, context) => { if (status === 201) (context as Record<string, unknown>).orderId = JSON.parse(body).order.orderId; },
        },
        {
          method: 'DELETE',
          setupRequest: (req, context) => { const path = `/v1/orders/${String((context as Record<string, unknown>).orderId)}`; return { ...req, path, headers: sign(nextKey(), 'DELETE', path, '') }; },
        },
      ],
    }),
  };
}

/**
 * The embedded service as its own process (production mode, so no demo bot: the books hold only
 * the benchmark's orders; logging stays at its deployed default, info, one line per request: it is
 * part of the cost), with a bench account. With REST_WORKERS set, every request (setup included)
 * goes to the workers' port.
 */
export async function startBenchService(extraEnv: Record<string, string>, nodeArgs: string[] = []): Promise<BenchPlans & { url: string; pid: number | undefined; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-rest-'));
  const withWorkers = extraEnv.REST_WORKERS !== undefined;
  const svc = await startProcess(['server/src/main.ts'], {
    PORT: '0', FIX_PORT: '0', DATA_DIR: dataDir, MODE: 'production', SECRETS_KEY: 'ab'.repeat(32), CONFIG_FILE: BENCH_CONFIG_FILE,
    ...extraEnv,
  }, withWorkers ? 'REST workers listening' : 'REST gateway listening', nodeArgs);
  const base = `http://127.0.0.1:${svc.port}`;
  const plans = await benchAccount(base, dataDir);
  return {
    ...plans,
    url: base,
    pid: svc.child.pid,
    stop: async () => {
      await svc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Removes a run's Redis keys (replay entries and budgets would expire by themselves). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/** A database of this run on the PostgreSQL server of DATABASE_URL; drop() removes it. */
export async function benchDatabase(tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `bench_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
