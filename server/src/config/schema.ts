/**
 * The service configuration, described once: each setting's type, bounds, default, one-line
 * description and, where it has one, the environment variable that sets it. The `Config` type,
 * the defaults (`DEFAULT_CONFIG`), the validation (config/load.ts), the environment variables
 * (`ENV_SETTINGS`) and the README's table of them (`npm run generate`) are all derived from
 * `CONFIG_SCHEMA`, so a new setting is one entry here. Every setting has a default, except
 * `secretsKey`, so the service starts with no configuration at all.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { DEFAULT_WS_CONFIG } from '../gateway/ws/config.js';
import { RFQ_CONFIG_SCHEMA } from '../rfq/config.js';
import { DEFAULT_ASSETS, DEFAULT_INSTRUMENTS } from './defaults.js';

/** What every setting states besides its type: read by the defaults, the environment and the docs. */
interface SettingDoc {
  description: string;
  /** The environment variable that sets it, if any. */
  env?: string;
}

/** One of a fixed set of strings (a JSON Schema `enum`, so errors list the allowed values). */
function oneOf<const T extends readonly string[]>(values: T, doc: SettingDoc & { default?: T[number] }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...doc });
}

const port = (doc: SettingDoc & { default: number }) => Type.Integer({ minimum: 0, maximum: 65535, ...doc });
const decimal = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$' });
const assetCode = Type.String({ pattern: '^[A-Z0-9]{2,10}$' });
const ws = DEFAULT_WS_CONFIG;

export const CONFIG_SCHEMA = Type.Object({
  mode: oneOf(['demo', 'production'], { default: 'demo', env: 'MODE', description: '`demo` seeds a funded demo account and runs the market-making bot; `production` does neither and requires `SECRETS_KEY`.' }),
  http: Type.Object({
    host: Type.String({ minLength: 1, default: '127.0.0.1', env: 'HOST', description: 'Address the REST and WebSocket listener binds.' }),
    port: port({ default: 8080, env: 'PORT', description: 'Port of REST, WebSocket, the docs and /metrics (0: an ephemeral port).' }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 64 * 1024, env: 'BODY_LIMIT_BYTES', description: 'Largest accepted request body, in bytes.' }),
    corsOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [], env: 'CORS_ORIGINS', description: 'Origins allowed by CORS, comma-separated; empty turns CORS off.' }),
    shutdownGraceMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 10_000, env: 'SHUTDOWN_GRACE_MS', description: 'How long SIGTERM waits for in-flight requests before closing connections.' }),
    trustProxyHops: Type.Integer({ minimum: 0, maximum: 10, default: 0, env: 'TRUST_PROXY_HOPS', description: 'Trust X-Forwarded-For from this many proxy hops (0: use the socket address).' }),
    workers: Type.Integer({ minimum: 0, maximum: 64, default: 0, env: 'REST_WORKERS', description: 'REST gateway worker processes beside the core process (0: the core process serves everything; see docs/architecture.md).' }),
    workersPort: port({ default: 0, env: 'REST_WORKERS_PORT', description: 'The one port the REST workers share (0: an ephemeral port, chosen once and logged).' }),
  }, { additionalProperties: false }),
  dataDir: Type.String({ minLength: 1, default: './data', env: 'DATA_DIR', description: 'Where the journal, snapshots and embedded databases live; created on first start.' }),
  stores: oneOf(['embedded', 'external'], { default: 'embedded', env: 'STORES', description: 'Where shared state lives: `embedded` (memory and SQLite in the data directory) or `external` (Redis and PostgreSQL, shared by gateways on several hosts; see docs/operations.md).' }),
  redisUrl: Type.String({ default: '', env: 'REDIS_URL', description: 'Redis for `stores: external`: redis:// or rediss:// (required there, unused otherwise).' }),
  redisKeyPrefix: Type.String({ maxLength: 64, default: '', env: 'REDIS_KEY_PREFIX', description: 'Prepended to every Redis key, so several services can share one Redis.' }),
  databaseUrl: Type.String({ default: '', env: 'DATABASE_URL', description: 'PostgreSQL for `stores: external`: postgres:// (required there, unused otherwise).' }),
  databaseSchema: Type.String({ pattern: '^([a-z_][a-z0-9_]*)?$', default: '', env: 'DATABASE_SCHEMA', description: "The PostgreSQL schema of the tables (empty: the server's search_path, normally public)." }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', env: 'LOG_LEVEL', description: 'Least severe log level written.' }),
  secretsKey: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$', env: 'SECRETS_KEY', description: 'Key that encrypts API secrets at rest: 64 hex digits or base64 of 32 bytes. Required in production; in demo mode one is generated into the data directory.' })),
  fix: Type.Object({
    enabled: Type.Boolean({ default: true, env: 'FIX_ENABLED', description: 'Whether the FIX 4.4 acceptor runs.' }),
    host: Type.String({ minLength: 1, default: '127.0.0.1', env: 'FIX_HOST', description: 'Address the FIX acceptor binds.' }),
    port: port({ default: 9878, env: 'FIX_PORT', description: 'Port of the FIX acceptor (0: an ephemeral port).' }),
    compId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$', default: 'EXCHANGE', description: 'Our CompID: the TargetCompID(56) counterparties send.' }),
    resetOnLogon: Type.Boolean({ default: false, description: 'Reset sequence numbers at every Logon.' }),
    cancelOnDisconnect: Type.Boolean({ default: false, description: "Cancel a session's orders when it disconnects." }),
    tlsCertFile: Type.String({ default: '', env: 'FIX_TLS_CERT_FILE', description: 'PEM certificate (chain) file: when set with tlsKeyFile, the FIX acceptor speaks TLS 1.2 or later only (empty: plain TCP).' }),
    tlsKeyFile: Type.String({ default: '', env: 'FIX_TLS_KEY_FILE', description: "PEM private key file of the FIX acceptor's TLS certificate (empty: plain TCP)." }),
  }, { additionalProperties: false }),
  fleet: Type.Object({
    natsUrl: Type.String({ minLength: 1, default: 'nats://127.0.0.1:4222', env: 'NATS_URL', description: 'NATS servers of distributed mode, comma-separated: core nodes and gateway processes connect to them (unused by the embedded default; see docs/architecture.md).' }),
    shard: Type.Integer({ minimum: 0, maximum: 1023, default: 0, env: 'FLEET_SHARD', description: 'The core shard a core node serves or a gateway sends to (one shard, 0, holds every instrument for now).' }),
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 3, env: 'FLEET_REPLICAS', description: "JetStream replicas of the shard's command log and of the leader lease, when a core node creates them (3 on a NATS cluster, 1 on a single nats-server)." }),
    nodeId: Type.String({ pattern: '^[A-Za-z0-9._-]{0,64}$', default: '', env: 'FLEET_NODE_ID', description: "A core node's name in the leader lease and its logs (empty: host name and process id)." }),
    leaseTtlMs: Type.Integer({ minimum: 300, maximum: 60_000, default: 1500, env: 'FLEET_LEASE_TTL_MS', description: "How long a core leader's lease lasts unrenewed, set when the lease bucket is created: the leader renews it three times as often, and a standby takes over once it lapses." }),
    coreHttpPort: port({ default: 0, env: 'FLEET_CORE_HTTP_PORT', description: "A core node's HTTP listener for /metrics, /health/live and /health/ready, on `HOST` (0: none; give each core node on a host its own port)." }),
    demoBot: Type.Boolean({ default: true, env: 'FLEET_DEMO_BOT', description: 'In demo mode, whether this gateway process runs the demo market maker (one per fleet is enough: `npm run start:fleet` runs it on its first gateway).' }),
  }, { additionalProperties: false }),
  limits: Type.Object({
    keyWeightPerSecond: Type.Integer({ minimum: 20, maximum: 1_000_000, default: 100, description: 'Request weight per API key per second.' }),
    ipWeightPerSecond: Type.Integer({ minimum: 20, maximum: 1_000_000, default: 300, description: 'Request weight per client IP per second.' }),
    ordersPerSecond: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10, description: 'New and amended orders per account per second, over all channels.' }),
    ordersPer10Seconds: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 50, description: 'New and amended orders per account per 10 seconds, over all channels.' }),
  }, { additionalProperties: false }),
  history: Type.Object({
    retentionDays: Type.Integer({ minimum: 0, maximum: 100_000, default: 0, description: 'Delete finished orders, fills and balance changes older than this many days from history.db, and from PostgreSQL with external stores (0: keep everything; archive first with `npm run history -- export`).' }),
  }, { additionalProperties: false }),
  snapshots: Type.Object({
    everyCommands: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 100_000, description: 'Snapshot the core after this many commands since the last snapshot.' }),
    intervalMs: Type.Integer({ minimum: 1000, maximum: 24 * 60 * 60 * 1000, default: 5 * 60_000, description: 'Snapshot at least this often (milliseconds) while commands arrive; a restart replays at most this much journal.' }),
  }, { additionalProperties: false }),
  ws: Type.Object({
    maxConnectionsPerIp: Type.Integer({ minimum: 1, maximum: 1_000_000, default: ws.maxConnectionsPerIp, description: 'Open WebSocket connections per client IP; more are refused at the upgrade (HTTP 429).' }),
    maxConnections: Type.Integer({ minimum: 1, maximum: 1_000_000, default: ws.maxConnections, description: 'Open WebSocket connections in total; more are refused at the upgrade (HTTP 503).' }),
    maxConnectionsPerKey: Type.Integer({ minimum: 1, maximum: 100_000, default: ws.maxConnectionsPerKey, description: 'Logged-in WebSocket connections per API key.' }),
    maxSubscriptions: Type.Integer({ minimum: 1, maximum: 10_000, default: ws.maxSubscriptions, description: 'Subscriptions per WebSocket connection.' }),
    maxFrameBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: ws.maxFrameBytes, description: 'Largest accepted inbound frame in bytes; a larger one closes the connection (1009).' }),
    maxRefusedPerSecond: Type.Integer({ minimum: 1, maximum: 1_000_000, default: ws.maxRefusedPerSecond, description: 'Requests refused for rate limiting within one second after which a connection is closed (4005).' }),
    maxQueuedRequests: Type.Integer({ minimum: 1, maximum: 1_000_000, default: ws.maxQueuedRequests, description: 'Requests waiting for their turn on one connection after which it is closed (4005).' }),
    conflateBytes: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: ws.conflateBytes, description: "Outbound bytes waiting above which a connection's market data is conflated." }),
    maxBufferedBytes: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: ws.maxBufferedBytes, description: 'Outbound bytes waiting above which a connection is closed rather than lose private data (4004).' }),
    deliveryBudgetMicros: Type.Integer({ minimum: 50, maximum: 1_000_000, default: ws.deliveryBudgetMicros, description: 'Time one turn of the event loop may spend streaming market data, in microseconds (private streams go first); then requests and journal writes waiting behind it run.' }),
    sendsPerTurn: Type.Integer({ minimum: 1, maximum: 1_000_000, default: ws.sendsPerTurn, description: 'Most frames sent in one turn of the event loop while streaming, however cheap they are.' }),
    conflateQueuedSends: Type.Integer({ minimum: 1, maximum: 100_000_000, default: ws.conflateQueuedSends, description: 'Sends queued in the gateway above which market data is conflated for every subscriber.' }),
  }, { additionalProperties: false }),
  rfq: RFQ_CONFIG_SCHEMA,
  assets: Type.Array(Type.Object({
    asset: assetCode,
    decimals: Type.Integer({ minimum: 0, maximum: 18 }),
  }, { additionalProperties: false }), { default: DEFAULT_ASSETS, description: 'The assets: code and decimals.' }),
  instruments: Type.Array(Type.Object({
    symbol: Type.String({ pattern: '^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$' }),
    base: assetCode,
    quote: assetCode,
    tickSize: decimal,
    lotSize: decimal,
    minQuantity: decimal,
    maxQuantity: decimal,
    minNotional: decimal,
    priceBandBps: Type.Integer({ minimum: 1, maximum: 100_000 }),
    status: oneOf(['open', 'halted', 'cancel_only', 'post_only'], { description: 'Trading status.' }),
  }, { additionalProperties: false }), { default: DEFAULT_INSTRUMENTS, description: 'The instruments, each on two assets of `assets`.' }),
}, { additionalProperties: false });

export type Config = Static<typeof CONFIG_SCHEMA>;
export type Mode = Config['mode'];

/** The defaults the schema states: an object's are its properties' own. */
function defaultsOf(schema: TSchema): unknown {
  if (schema.type === 'object' && schema.properties !== undefined) {
    const value: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
      const d = defaultsOf(property);
      if (d !== undefined) value[key] = d;
    }
    return value;
  }
  return structuredClone(schema.default as unknown);
}

export const DEFAULT_CONFIG: Config = defaultsOf(CONFIG_SCHEMA) as Config;

/** A setting an environment variable sets: its path in the configuration and its schema. */
export interface EnvSetting {
  name: string;
  path: string[];
  schema: TSchema & SettingDoc;
}

/** The settings that have an environment variable, in the schema's order. */
export const ENV_SETTINGS: readonly EnvSetting[] = (function collect(schema: TSchema, path: string[]): EnvSetting[] {
  if (typeof schema.env === 'string') return [{ name: schema.env, path, schema: schema as EnvSetting['schema'] }];
  if (schema.type !== 'object' || schema.properties === undefined) return [];
  return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, property]) => collect(property, [...path, key]));
})(CONFIG_SCHEMA, []);
