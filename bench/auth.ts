/**
 * Throughput and latency of the shared auth and rate-limit library on this machine: request
 * verification (HMAC, Ed25519; memory and SQLite stores) and limiter decisions; then the same
 * with the external stores (stores: external): keys in PostgreSQL, the replay cache and the
 * limits in Redis.
 * Run: npm run bench:auth   (bounded: a fixed number of operations per case)
 *   REDIS_URL (default redis://127.0.0.1:6379, keys under a prefix of this run, deleted after) and
 *   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres: a database of this run is
 *   created on that server and dropped after); BENCH_EXTERNAL=0 skips the external cases,
 *   `-- --external-only` runs only them.
 * Targets: HMAC verification p99 <= 200 µs, Ed25519 p99 <= 500 µs, limiter decision p99 <= 50 µs;
 * external: HMAC verification with the Redis replay cache p99 <= 500 µs, a limiter decision
 * (one round trip) p99 <= 300 µs.
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { MemoryApiKeyStore, MemoryReplayCache, RequestVerifier, SecretBox, SqliteApiKeyStore, SqliteReplayCache, type ApiKeyStore, type ReplayCache } from '../server/src/auth/index.js';
import pino from 'pino';
import pg from 'pg';
import { DEFAULT_CONFIG } from '../server/src/config/schema.js';
import { OrderRateLimiter, RequestRateLimiter } from '../server/src/limits/index.js';
import { REQUEST_POLICIES } from '../server/src/limits/policies.js';
import { openExternalStores, type ExternalStores } from '../server/src/storage/external-stores.js';
import { openDatabase } from '../server/src/storage/sqlite.js';

const N = Number(process.env.BENCH_OPS ?? 20_000);
const NOW = Date.now();

interface Result { name: string; ops: number; opsPerSec: number; p50: number; p99: number; max: number; targetP99: number; gcs: number; gcMs: number }

// V8's collections during a case: how many, and how long they held the event loop in all.
const gc = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

async function measure(name: string, targetP99: number, op: (i: number) => Promise<unknown>): Promise<Result> {
  for (let i = 0; i < Math.min(1000, N); i++) await op(N + i); // warm-up on indices the timed run does not use
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  gc.count = 0;
  gc.ms = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await op(i);
    histogram.recordValue(Number(process.hrtime.bigint() - t) / 1000);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, ops: N, opsPerSec: Math.round(N / seconds), p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.maxValue, targetP99, gcs: gc.count, gcMs: gc.ms };
}

async function verifierCase(name: string, kind: 'hmac' | 'ed25519', store: ApiKeyStore, replayCache: ReplayCache, target: number): Promise<Result> {
  const pair = generateKeyPairSync('ed25519');
  const created = await store.create({
    accountId: 'bench', kind, label: 'bench', scopes: ['read', 'trade'],
    ...(kind === 'ed25519' ? { publicKey: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString() } : {}),
  });
  const secret = kind === 'hmac' ? Buffer.from(created.secret!, 'base64url') : undefined;
  const body = '{"symbol":"BTC-USD","side":"buy","orderType":"limit","price":"30000.00","quantity":"0.01","timeInForce":"GTC"}';
  const bodyHash = createHash('sha256').update(body).digest('hex');
  // Sign every request up front (distinct paths, so none is a replay): the timed part is the server's work.
  const requests = Array.from({ length: N + 1000 }, (_, i) => {
    const path = `/v1/orders?n=${i}`;
    const canonical = `${NOW}\nPOST\n${path}\n${bodyHash}`;
    const signature = secret ? createHmac('sha256', secret).update(canonical).digest('base64') : sign(null, Buffer.from(canonical), pair.privateKey).toString('base64');
    return { credentials: { keyId: created.record.keyId, timestamp: String(NOW), signature }, method: 'POST', pathWithQuery: path, body, ip: '127.0.0.1', requiredScope: 'trade' as const };
  });
  const verifier = new RequestVerifier({ store, replayCache, now: () => NOW });
  return measure(name, target, async (i) => {
    const r = await verifier.verifyRest(requests[i]!);
    if (!r.ok) throw new Error(`${name}: request ${i} refused with ${r.code}`);
  });
}

/** The same cases against Redis and PostgreSQL (a database of this run, dropped after). */
async function externalCases(box: SecretBox): Promise<Result[]> {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `bench_auth_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const prefix = `bench-auth:${process.pid}:`;
  let stores: ExternalStores | undefined;
  try {
    stores = await openExternalStores({
      ...DEFAULT_CONFIG, stores: 'external', redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', redisKeyPrefix: prefix, databaseUrl: url.toString(),
    }, box, pino({ level: 'silent' }));
    const results: Result[] = [];
    results.push(await verifierCase('external: verify HMAC, PostgreSQL keys + Redis replay (SET NX PX)', 'hmac', stores.keys, stores.replayCache, 500));
    const oneBucket = new RequestRateLimiter({ buckets: stores.buckets, policies: REQUEST_POLICIES.filter((p) => p.scope === 'key') });
    results.push(await measure('external: request-weight decision, one policy (one Redis script)', 300, (i) => oneBucket.consume('getOrder', { ip: '10.0.0.1', keyId: `k${i % 1000}` })));
    const requests = new RequestRateLimiter({ buckets: stores.buckets });
    results.push(await measure('external: request-weight decision (key + ip, one script for both)', 300, (i) => requests.consume('getOrder', { ip: `10.0.${(i >> 8) & 255}.${i & 255}`, keyId: `k${i % 1000}` })));
    const orders = new OrderRateLimiter({ windows: stores.windows });
    results.push(await measure('external: order-rate decision (2 rolling windows, one Redis script)', 300, (i) => orders.consume(`acc-${i % 5000}`)));
    return results;
  } finally {
    if (stores) {
      for (let cursor = '0'; ;) {
        const [next, keys] = await stores.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await stores.redis.del(...keys);
        if ((cursor = next) === '0') break;
      }
      await stores.close();
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const externalOnly = process.argv.includes('--external-only');
const startedAt = new Date().toISOString();
const loadAtStart = loadavg()[0]!.toFixed(2);
const dir = mkdtempSync(join(tmpdir(), 'bench-auth-'));
try {
  const box = new SecretBox(randomBytes(32));
  const sqliteStore = () => new SqliteApiKeyStore(openDatabase(join(dir, `keys-${Math.random()}.db`)), box);
  const sqliteReplay = () => SqliteReplayCache.openFile(join(dir, `replay-${Math.random()}.db`));
  const results: Result[] = [];
  if (!externalOnly) await embeddedCases(box, sqliteStore, sqliteReplay, results);
  if (externalOnly || process.env.BENCH_EXTERNAL !== '0') results.push(...await externalCases(box));

  console.log(`ops per case: ${N}; node ${process.version} ${[...process.execArgv.filter((a) => a.startsWith('--max')), process.env.NODE_OPTIONS ?? ''].join(' ').trim()}`);
  console.log(`started ${startedAt} (load average ${loadAtStart}), ended ${new Date().toISOString()} (load average ${loadavg()[0]!.toFixed(2)})`);
  console.log('| case | ops/s | p50 µs | p99 µs | max µs | p99 target µs | met | GCs (ms) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.name} | ${r.opsPerSec} | ${r.p50} | ${r.p99} | ${Math.round(r.max)} | ${r.targetP99} | ${r.p99 <= r.targetP99 ? 'yes' : 'MISSED'} | ${r.gcs} (${r.gcMs.toFixed(1)}) |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function embeddedCases(box: SecretBox, sqliteStore: () => ApiKeyStore, sqliteReplay: () => ReplayCache, results: Result[]): Promise<void> {
  results.push(await verifierCase('verify HMAC, memory store + memory replay', 'hmac', new MemoryApiKeyStore({ secretBox: box }), new MemoryReplayCache(), 200));
  results.push(await verifierCase('verify HMAC, SQLite store + SQLite replay', 'hmac', sqliteStore(), sqliteReplay(), 200));
  results.push(await verifierCase('verify Ed25519, memory store + memory replay', 'ed25519', new MemoryApiKeyStore({ secretBox: box }), new MemoryReplayCache(), 500));
  results.push(await verifierCase('verify Ed25519, SQLite store + SQLite replay', 'ed25519', sqliteStore(), sqliteReplay(), 500));
  const requests = new RequestRateLimiter();
  results.push(await measure('request-weight decision (key + ip)', 50, (i) => requests.consume('getOrder', { ip: `10.0.${(i >> 8) & 255}.${i & 255}`, keyId: `k${i % 1000}` })));
  const orders = new OrderRateLimiter();
  results.push(await measure('order-rate decision (2 rolling windows)', 50, (i) => orders.consume(`acc-${i % 5000}`)));
}
