/**
 * The service configuration: its shape, its JSON Schema, and its defaults. Every field has a
 * default so the service starts with no configuration at all.
 */
import type { AssetSpec, InstrumentSpec } from '../core/api.js';
import { DEFAULT_WS_CONFIG } from '../gateway/ws/config.js';
import { DEFAULT_ASSETS, DEFAULT_INSTRUMENTS } from './defaults.js';

export type Mode = 'demo' | 'production';

export interface Config {
  /** `demo` seeds demo accounts and runs the market-making bot; `production` does neither. */
  mode: Mode;
  http: {
    host: string;
    port: number;
    /** Largest accepted request body, in bytes. */
    bodyLimitBytes: number;
    /** Origins allowed by CORS; empty turns CORS off. */
    corsOrigins: string[];
    /** How long SIGTERM waits for in-flight requests before closing connections. */
    shutdownGraceMs: number;
    /** Trust X-Forwarded-For from this many proxy hops (0: use the socket address). */
    trustProxyHops: number;
    /**
     * REST gateway worker processes started beside the core process (0: none, REST is served by
     * the core process alone). See docs/architecture.md, "REST gateway workers".
     */
    workers: number;
    /** The one port all REST gateway workers share (0: an ephemeral port, chosen once). */
    workersPort: number;
  };
  /** Where the journal, snapshots and embedded databases live; created on first start. */
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Key that encrypts API key secrets at rest: 64 hex digits or base64 of 32 bytes. Required in
   * production; in demo mode one is generated into the data directory on first start.
   */
  secretsKey?: string;
  /** The FIX 4.4 acceptor (see docs/fix-rules-of-engagement.md). */
  fix: {
    enabled: boolean;
    host: string;
    port: number;
    /** Our CompID: the TargetCompID(56) counterparties send. */
    compId: string;
    /** Reset sequence numbers at every Logon (per-session overrides are not configured here). */
    resetOnLogon: boolean;
    /** Cancel a session's orders when it disconnects. */
    cancelOnDisconnect: boolean;
  };
  /** Published rate limits (see docs/rate-limits.md). */
  limits: {
    /** Request weight per API key per second. */
    keyWeightPerSecond: number;
    /** Request weight per client IP per second. */
    ipWeightPerSecond: number;
    /** New and amended orders per account per second, over all channels. */
    ordersPerSecond: number;
    /** New and amended orders per account per 10 seconds, over all channels. */
    ordersPer10Seconds: number;
  };
  /** The WebSocket gateway's limits (see docs/websocket.md and docs/operations.md). */
  ws: {
    /** Open connections per client IP; more are refused at the upgrade (HTTP 429). */
    maxConnectionsPerIp: number;
    /** Open connections in total; more are refused at the upgrade (HTTP 503). */
    maxConnections: number;
    /** Logged-in connections per API key. */
    maxConnectionsPerKey: number;
    /** Subscriptions per connection. */
    maxSubscriptions: number;
    /** Largest accepted inbound frame in bytes; a larger one closes the connection (1009). */
    maxFrameBytes: number;
    /** Requests refused for rate limiting within one second after which a connection is closed (4005). */
    maxRefusedPerSecond: number;
    /** Requests waiting for their turn on one connection after which it is closed (4005). */
    maxQueuedRequests: number;
    /** Outbound bytes waiting above which a connection's market data is conflated. */
    conflateBytes: number;
    /** Outbound bytes waiting above which a connection is closed rather than lose private data (4004). */
    maxBufferedBytes: number;
    /** Frames sent per turn of the event loop while streaming (a broadcast never holds the loop longer). */
    sendsPerTurn: number;
    /** Sends queued in the gateway above which market data is conflated for every subscriber. */
    conflateQueuedSends: number;
  };
  assets: AssetSpec[];
  instruments: InstrumentSpec[];
}

const { maxConnectionsPerIp, maxConnections, maxConnectionsPerKey, maxSubscriptions, maxFrameBytes, maxRefusedPerSecond, maxQueuedRequests, conflateBytes, maxBufferedBytes, sendsPerTurn, conflateQueuedSends } = DEFAULT_WS_CONFIG;

export const DEFAULT_CONFIG: Config = {
  mode: 'demo',
  http: { host: '127.0.0.1', port: 8080, bodyLimitBytes: 64 * 1024, corsOrigins: [], shutdownGraceMs: 10_000, trustProxyHops: 0, workers: 0, workersPort: 0 },
  dataDir: './data',
  logLevel: 'info',
  fix: { enabled: true, host: '127.0.0.1', port: 9878, compId: 'EXCHANGE', resetOnLogon: false, cancelOnDisconnect: false },
  limits: { keyWeightPerSecond: 100, ipWeightPerSecond: 300, ordersPerSecond: 10, ordersPer10Seconds: 50 },
  ws: { maxConnectionsPerIp, maxConnections, maxConnectionsPerKey, maxSubscriptions, maxFrameBytes, maxRefusedPerSecond, maxQueuedRequests, conflateBytes, maxBufferedBytes, sendsPerTurn, conflateQueuedSends },
  assets: DEFAULT_ASSETS,
  instruments: DEFAULT_INSTRUMENTS,
};

const decimal = { type: 'string', pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$' };

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'http', 'dataDir', 'logLevel', 'fix', 'limits', 'ws', 'assets', 'instruments'],
  properties: {
    mode: { enum: ['demo', 'production'] },
    http: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'port', 'bodyLimitBytes', 'corsOrigins', 'shutdownGraceMs', 'trustProxyHops', 'workers', 'workersPort'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        bodyLimitBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024 },
        corsOrigins: { type: 'array', items: { type: 'string', minLength: 1 } },
        shutdownGraceMs: { type: 'integer', minimum: 0, maximum: 300_000 },
        trustProxyHops: { type: 'integer', minimum: 0, maximum: 10 },
        workers: { type: 'integer', minimum: 0, maximum: 64 },
        workersPort: { type: 'integer', minimum: 0, maximum: 65535 },
      },
    },
    dataDir: { type: 'string', minLength: 1 },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    fix: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'host', 'port', 'compId', 'resetOnLogon', 'cancelOnDisconnect'],
      properties: {
        enabled: { type: 'boolean' },
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        compId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,32}$' },
        resetOnLogon: { type: 'boolean' },
        cancelOnDisconnect: { type: 'boolean' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      required: ['keyWeightPerSecond', 'ipWeightPerSecond', 'ordersPerSecond', 'ordersPer10Seconds'],
      properties: {
        keyWeightPerSecond: { type: 'integer', minimum: 20, maximum: 1_000_000 },
        ipWeightPerSecond: { type: 'integer', minimum: 20, maximum: 1_000_000 },
        ordersPerSecond: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        ordersPer10Seconds: { type: 'integer', minimum: 1, maximum: 10_000_000 },
      },
    },
    ws: {
      type: 'object',
      additionalProperties: false,
      required: ['maxConnectionsPerIp', 'maxConnections', 'maxConnectionsPerKey', 'maxSubscriptions', 'maxFrameBytes', 'maxRefusedPerSecond', 'maxQueuedRequests', 'conflateBytes', 'maxBufferedBytes', 'sendsPerTurn', 'conflateQueuedSends'],
      properties: {
        maxConnectionsPerIp: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        maxConnections: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        maxConnectionsPerKey: { type: 'integer', minimum: 1, maximum: 100_000 },
        maxSubscriptions: { type: 'integer', minimum: 1, maximum: 10_000 },
        maxFrameBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024 },
        maxRefusedPerSecond: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        maxQueuedRequests: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        conflateBytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024 },
        maxBufferedBytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024 },
        sendsPerTurn: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        conflateQueuedSends: { type: 'integer', minimum: 1, maximum: 100_000_000 },
      },
    },
    secretsKey: { type: 'string', pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$' },
    assets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['asset', 'decimals'],
        properties: { asset: { type: 'string', pattern: '^[A-Z0-9]{2,10}$' }, decimals: { type: 'integer', minimum: 0, maximum: 18 } },
      },
    },
    instruments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['symbol', 'base', 'quote', 'tickSize', 'lotSize', 'minQuantity', 'maxQuantity', 'minNotional', 'priceBandBps', 'status'],
        properties: {
          symbol: { type: 'string', pattern: '^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$' },
          base: { type: 'string', pattern: '^[A-Z0-9]{2,10}$' },
          quote: { type: 'string', pattern: '^[A-Z0-9]{2,10}$' },
          tickSize: decimal,
          lotSize: decimal,
          minQuantity: decimal,
          maxQuantity: decimal,
          minNotional: decimal,
          priceBandBps: { type: 'integer', minimum: 1, maximum: 100_000 },
          status: { enum: ['open', 'halted', 'cancel_only', 'post_only'] },
        },
      },
    },
  },
} as const;
