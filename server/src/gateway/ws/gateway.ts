/**
 * The WebSocket gateway: upgrades on /v1/ws, owns the connections and their timers (pings, idle
 * and key-expiry checks, private heartbeats, catching up conflated subscriptions), feeds each
 * batch of core events to the market-data and private streams, closes a revoked key's sessions,
 * and cancels orders on disconnect when the session asked for it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Welcome } from '../../../../generated/asyncapi.js';
import { ERROR_CATALOG, type ErrorCode } from '../../../../generated/error-catalog.js';
import { errorTypeUri } from '../rest/problem.js';
import type { ApiKeyStore, RequestVerifier } from '../../auth/index.js';
import type { RequestRateLimiter } from '../../limits/index.js';
import type { Logger } from '../../observability/logger.js';
import type { OrderEntry } from '../../order-entry/order-entry.js';
import type { CommandBus } from '../../sequencer/api.js';
import { clientAddress } from './client-address.js';
import { CloseCode, DEFAULT_WS_CONFIG, MAX_BATCH_REQUESTS, WS_PATH, type WsConfig } from './config.js';
import { WsConnection, type Subscription } from './connection.js';
import { DeliveryQueue } from './delivery-queue.js';
import { encode, MarketDataHub } from './market-data.js';
import { newWsMetrics, registerWsMetrics, subscriptionCount, type WsMetrics } from './metrics.js';
import type { Tracer } from '@opentelemetry/api';
import { PingSweep } from './ping-sweep.js';
import { PrivateStreams } from './private-streams.js';
import { RequestProcessor, type RequestDeps } from './requests.js';
import { SessionRegistry } from './sessions.js';
import { WriteBatch } from './write-batch.js';

export interface WsGatewayOptions {
  /** The HTTP server to take upgrades from (only requests for /v1/ws). */
  server: Server;
  bus: CommandBus;
  verifier: RequestVerifier;
  /** Revocations close sessions; `get` re-checks a key right after login. */
  keys: Pick<ApiKeyStore, 'onRevoked' | 'get'>;
  /** The shared request-weight limiter (the order-rate limiter is inside `orders`). */
  limits: { requests: RequestRateLimiter };
  /** The shared order entry that REST also uses. */
  orders: OrderEntry;
  logger: Logger;
  clock?: () => number;
  /** Monotonic milliseconds for the delivery queue's time budget (default performance.now). */
  monotonicClock?: () => number;
  config?: Partial<WsConfig>;
  /** Where to expose the gateway's counters to Prometheus, if anywhere. */
  registry?: Registry;
  /** Traces each request frame (no-op spans when absent). */
  tracer?: Tracer;
  /** The OTC desk (RFQ requests, the `rfq` and `dealer` channels). */
  otc?: RequestDeps['otc'];
}

export interface WsGateway {
  /** Refuses new connections, closes the open ones (1001), waits for cancel-on-disconnect. Idempotent. */
  close(): Promise<void>;
  readonly metrics: Readonly<WsMetrics>;
  /** Subscriptions open now, over every connection. */
  subscriptions(): number;
}

/** How often conflated subscriptions are checked for a drained outbound buffer. */
const CATCH_UP_INTERVAL_MS = 20;
/** How often the ping sweep pings the connections that are due. */
const PING_TICK_MS = 5;

export function attachWsGateway(options: WsGatewayOptions): WsGateway {
  const { server, bus, logger } = options;
  const clock = options.clock ?? Date.now;
  const config: WsConfig = { ...DEFAULT_WS_CONFIG, ...options.config };
  const metrics = newWsMetrics();
  const connections = new Set<WsConnection>();
  /** Connections owed a fresh state for some market-data subscription, oldest first. */
  const behind = new Set<WsConnection>();
  const monotonic = options.monotonicClock ?? (() => performance.now());
  if (options.registry) registerWsMetrics(options.registry, metrics, () => subscriptionCount(connections));

  const perIp = new Map<string, number>();
  const sessions = new SessionRegistry();
  const writes = new WriteBatch();
  const outbound = new DeliveryQueue(writes, { budgetMicros: config.deliveryBudgetMicros, maxSendsPerTurn: config.sendsPerTurn }, { now: monotonic });
  const market = new MarketDataHub(() => bus.core, clock, config.tickerIntervalMs, logger, outbound, config.conflateQueuedSends, metrics);
  const privateStreams = new PrivateStreams(outbound);
  const processor = new RequestProcessor({
    bus, verifier: options.verifier, keys: options.keys, orders: options.orders, requestLimiter: options.limits.requests,
    market, privateStreams, sessions, config, clock, logger, tracer: options.tracer, otc: options.otc,
  });
  const pendingCancels = new Set<Promise<unknown>>();
  let lastSeq = bus.core.seq;
  let closing: Promise<void> | undefined;

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, clientTracking: false });

  // Frames are built here, once per topic; the sends go out through `outbound`, a chunk per turn.
  const stopEvents = bus.onEvents((events) => {
    lastSeq = events[events.length - 1]!.seq;
    market.onEvents(events);
    privateStreams.onEvents(events);
  });

  const stopRevocations = options.keys.onRevoked((event) => {
    for (const connection of sessions.ofKey(event.keyId)) connection.close(CloseCode.KeyRevoked, 'API key revoked');
  });

  /** Connections open or being upgraded, across all addresses. */
  let total = 0;
  const releaseIp = (ip: string) => {
    total--;
    const n = (perIp.get(ip) ?? 1) - 1;
    if (n <= 0) perIp.delete(ip);
    else perIp.set(ip, n);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) {
      // Leave other paths to other upgrade listeners; with none, answer rather than hang.
      if (server.listenerCount('upgrade') === 1) refuse(socket, 'NOT_FOUND', `No WebSocket endpoint at ${path}; use ${WS_PATH}.`, req.headers.host);
      return;
    }
    if (closing) return refuse(socket, 'SERVICE_UNAVAILABLE', 'The server is shutting down.', req.headers.host);
    const ip = clientAddress(req, config.trustProxyHops);
    if ((perIp.get(ip) ?? 0) >= config.maxConnectionsPerIp) {
      metrics.upgradesRefused++;
      return refuse(socket, 'WS_TOO_MANY_CONNECTIONS', `At most ${config.maxConnectionsPerIp} WebSocket connections per client address.`, req.headers.host);
    }
    if (total >= config.maxConnections) {
      metrics.upgradesRefused++;
      return refuse(socket, 'SERVICE_UNAVAILABLE', `The server holds its maximum of ${config.maxConnections} WebSocket connections; try again later.`);
    }
    total++;
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    let accepted = false;
    socket.once('close', () => {
      if (!accepted) releaseIp(ip);
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true;
      onConnection(ws, socket, ip);
    });
  };

  const onConnection = (ws: WebSocket, socket: Duplex, ip: string) => {
    const connection = new WsConnection(ws, socket, writes, `c-${randomBytes(6).toString('hex')}`, ip, config, metrics, clock, (c) => behind.add(c));
    connections.add(connection);
    metrics.connectionsOpen++;
    metrics.connectionsTotal++;
    ws.on('message', (data, isBinary) => {
      connection.alive = true;
      connection.lastActivity = clock();
      metrics.framesIn++;
      const queued = connection.enqueue(() =>
        processor.handle(connection, data, isBinary).catch((err: unknown) => logger.error({ err, connection: connection.id }, 'ws: frame handling failed')),
      );
      if (!queued) connection.close(CloseCode.RateLimitFlood, 'too many requests waiting');
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('error', (err) => logger.debug({ err, connection: connection.id }, 'ws: socket error'));
    ws.on('close', () => onClose(connection));
    const welcome: Welcome = {
      type: 'welcome', connectionId: connection.id, serverTime: clock(),
      limits: {
        maxFrameBytes: config.maxFrameBytes, maxSubscriptions: config.maxSubscriptions, pingIntervalMs: config.pingIntervalMs,
        idleTimeoutMs: config.idleTimeoutMs, heartbeatIntervalMs: config.heartbeatIntervalMs, tickerIntervalMs: config.tickerIntervalMs,
        conflateBytes: config.conflateBytes, maxBufferedBytes: config.maxBufferedBytes, maxBatchRequests: MAX_BATCH_REQUESTS,
      },
    };
    connection.sendAnswer(welcome);
  };

  const onClose = (connection: WsConnection) => {
    connection.closed = true;
    behind.delete(connection);
    if (!connections.delete(connection)) return;
    metrics.connectionsOpen--;
    releaseIp(connection.ip);
    for (const sub of [...connection.subscriptions.values()]) processor.removeSubscription(sub);
    sessions.remove(connection);
    // Cancel-on-disconnect (order entry's SessionOrders); close() waits for these cancels.
    const ending = connection.session?.orders?.end();
    if (ending) {
      pendingCancels.add(ending);
      void ending.finally(() => pendingCancels.delete(ending));
    }
  };

  // Pings spread over the interval, a budget's worth a tick, never all connections at once (ping-sweep.ts).
  const pingSweep = new PingSweep(connections, {
    intervalMs: config.pingIntervalMs,
    budgetMs: config.deliveryBudgetMicros / 1000,
    now: monotonic,
    ping: (connection) => connection.ws.ping(),
    unanswered: (connection) => connection.close(CloseCode.HeartbeatTimeout, 'no pong to the previous ping'),
  });
  const pingTimer = setInterval(() => pingSweep.tick(), Math.min(PING_TICK_MS, config.pingIntervalMs));

  // Queued in the private lane behind the frames it vouches for: a heartbeat's seq never overtakes them.
  const heartbeatTimer = setInterval(() => {
    const targets = [...connections].filter((connection) => connection.hasPrivateSubscription);
    if (targets.length === 0) return;
    const data = encode({ type: 'heartbeat', seq: lastSeq, serverTime: clock() });
    outbound.pushPrivate(targets, (connection) => connection.sendPrivate(data));
  }, config.heartbeatIntervalMs);

  const housekeepingTimer = setInterval(() => {
    const now = clock();
    for (const connection of connections) {
      const expiresAt = connection.session?.principal.expiresAt;
      if (expiresAt !== undefined && now >= expiresAt) connection.close(CloseCode.KeyRevoked, 'API key expired');
      else if (connection.subscriptions.size === 0 && now - connection.lastActivity >= config.idleTimeoutMs) connection.close(CloseCode.Idle, 'idle');
    }
  }, Math.max(50, Math.min(1000, Math.floor(config.idleTimeoutMs / 4))));

  // Topics skipped while the whole gateway was behind are caught up first (market-data.ts).
  // A stale subscription's fresh state is taken now and queued behind the frames it replaces;
  // those are skipped (the subscription is still stale when they come up), the later ones follow it.
  // The state is encoded once per topic per tick: after the whole gateway fell behind, ten thousand
  // subscribers of one book are caught up with one frame, not ten thousand encodings of it. Only
  // connections that fell behind are visited, and for at most one delivery budget a tick: the
  // rest wait for the next tick rather than hold the loop (and the acknowledgements behind it).
  const catchUpTimer = setInterval(() => {
    market.catchUpTopics();
    if (behind.size === 0 || outbound.pendingPublicSends > config.conflateQueuedSends / 2) return;
    const deadline = monotonic() + config.deliveryBudgetMicros / 1000;
    const due = new Map<string, { state: Buffer | undefined; subs: Subscription[] }>();
    let visited = 0;
    const count = behind.size;
    for (const connection of behind) {
      if (visited++ >= count || monotonic() >= deadline) break;
      behind.delete(connection);
      if (connection.closed) continue;
      if (!connection.drained) {
        behind.add(connection); // to the back: its turn comes again after the others'
        continue;
      }
      connection.behind = false;
      for (const sub of connection.subscriptions.values()) {
        if (!sub.stale || sub.catchingUp) continue;
        sub.catchingUp = true;
        let topic = due.get(sub.key);
        if (!topic) due.set(sub.key, (topic = { state: market.initialState(sub), subs: [] }));
        topic.subs.push(sub);
      }
    }
    for (const { state, subs } of due.values()) {
      outbound.push(subs, (caught) => {
        caught.catchingUp = false;
        caught.stale = false;
        if (state && caught.connection.subscriptions.get(caught.key) === caught) caught.connection.sendPublic(caught, state);
      });
    }
  }, CATCH_UP_INTERVAL_MS);

  for (const timer of [pingTimer, heartbeatTimer, housekeepingTimer, catchUpTimer]) timer.unref();
  server.on('upgrade', onUpgrade);

  return {
    metrics,
    subscriptions: () => subscriptionCount(connections),
    close() {
      closing ??= (async () => {
        server.off('upgrade', onUpgrade);
        for (const timer of [pingTimer, heartbeatTimer, housekeepingTimer, catchUpTimer]) clearInterval(timer);
        stopEvents();
        stopRevocations();
        outbound.clear();
        market.close();
        const closed = [...connections].map((c) => new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.close(CloseCode.ShuttingDown, 'server shutting down');
        }));
        await Promise.all(closed);
        await Promise.allSettled([...pendingCancels]);
        wss.close();
      })();
      return closing;
    },
  };
}

/** Answers an upgrade request with a problem body (the connection is never upgraded). */
function refuse(socket: Duplex, code: ErrorCode, detail: string, host?: string): void {
  const entry = ERROR_CATALOG[code];
  const body = JSON.stringify({ type: errorTypeUri(code, host), title: entry.title, status: entry.status, code, detail });
  socket.end(
    `HTTP/1.1 ${entry.status} ${entry.title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
