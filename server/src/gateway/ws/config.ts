/** The WebSocket gateway's tunables, their defaults, and the close codes the contract documents. */

export interface WsConfig {
  /** Largest accepted inbound frame in bytes (ws `maxPayload`); a larger frame closes with 1009. */
  maxFrameBytes: number;
  /** Open connections allowed per client IP; more are refused at the upgrade with HTTP 429. */
  maxConnectionsPerIp: number;
  /** Logged-in connections allowed per API key; a further login is refused. */
  maxConnectionsPerKey: number;
  /** Subscriptions allowed per connection. */
  maxSubscriptions: number;
  /** How often the server pings; a connection without a pong by the next ping is closed (4002). */
  pingIntervalMs: number;
  /** A connection with no subscription and no request for this long is closed (4003). */
  idleTimeoutMs: number;
  /** How often private subscribers get a heartbeat with the latest published sequence. */
  heartbeatIntervalMs: number;
  /** Least time between two ticker or candle frames of one symbol. */
  tickerIntervalMs: number;
  /** Outbound bytes waiting above which market data is skipped (conflated) for a connection. */
  conflateBytes: number;
  /** Outbound bytes waiting above which a connection is closed rather than lose private data (4004). */
  maxBufferedBytes: number;
  /** Requests refused for rate limiting within one second after which the connection is closed (4005). */
  maxRefusedPerSecond: number;
  /** Requests waiting on one connection (each waits for the previous answer) beyond which it is closed as a flood (4005). */
  maxQueuedRequests: number;
  /** Trust X-Forwarded-For from this many proxy hops when finding the client IP (as REST does). */
  trustProxyHops: number;
  /** Open connections allowed in total; more are refused at the upgrade with HTTP 503. */
  maxConnections: number;
  /** Time one turn of the event loop may spend streaming market data (microseconds; private streams go first), so a broadcast never holds the loop for long. */
  deliveryBudgetMicros: number;
  /** Most market-data frames sent in one turn of the event loop, however cheap they are. */
  sendsPerTurn: number;
  /** Sends waiting in the gateway's delivery queue above which market data is conflated for everyone. */
  conflateQueuedSends: number;
  /** How long a closing connection has to complete the close handshake before its socket is dropped. */
  closeGraceMs: number;
}

export const DEFAULT_WS_CONFIG: Readonly<WsConfig> = {
  maxFrameBytes: 64 * 1024,
  maxConnectionsPerIp: 50,
  maxConnectionsPerKey: 10,
  maxSubscriptions: 50,
  pingIntervalMs: 15_000,
  idleTimeoutMs: 60_000,
  heartbeatIntervalMs: 5_000,
  tickerIntervalMs: 250,
  conflateBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxRefusedPerSecond: 50,
  maxQueuedRequests: 1000,
  trustProxyHops: 0,
  maxConnections: 20_000,
  deliveryBudgetMicros: 250,
  sendsPerTurn: 1024,
  conflateQueuedSends: 200_000,
  closeGraceMs: 1000,
};

/** The endpoint path, fixed by the contract. */
export const WS_PATH = '/v1/ws';

/** The most requests one `batch` may carry (the contract's `maxItems`). */
export const MAX_BATCH_REQUESTS = 20;

/** Close codes, as documented in api-spec/asyncapi.yaml. */
export const CloseCode = {
  ShuttingDown: 1001,
  KeyRevoked: 4001,
  HeartbeatTimeout: 4002,
  Idle: 4003,
  SlowConsumer: 4004,
  RateLimitFlood: 4005,
} as const;
