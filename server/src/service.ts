/**
 * Composition root: builds every component from the configuration and wires them together.
 * `main.ts` calls it for the real process; tests call it to run a whole service in-process.
 *
 *   data dir → durable sequencer (journal + core + history) → order entry → gateways
 *
 * In distributed mode a gateway process (`fleet/gateway-main.ts`) runs the same composition on a
 * remote bus (the core leads elsewhere; a replica of it here), passed in as `openBus`.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { TlsOptions } from 'node:tls';
import { join } from 'node:path';
import { AuthLockout, RequestVerifier, SecretBox, SqliteApiKeyStore, SqliteReplayCache } from './auth/index.js';
import { ensureAccountWithKey, listConfiguredMarkets, OPERATOR_ACCOUNT, resolveSecretsKey, type Credentials } from './bootstrap.js';
import type { Config } from './config/schema.js';
import { startFixAcceptor, type FixAcceptor } from './gateway/fix/acceptor.js';
import { PostgresFixSessionBackend } from './gateway/fix/postgres-session-backend.js';
import { createRestApp } from './gateway/rest/app.js';
import { restChecks } from './gateway/rest/checks.js';
import { attachWsGateway } from './gateway/ws/gateway.js';
import { createHandlers } from './gateway/rest/handlers/index.js';
import type { OperatorStatus } from './gateway/rest/handlers/status.js';
import { RecentRejects } from './observability/recent-rejects.js';
import { auditedHandlers } from './gateway/rest/audited-handlers.js';
import { FileAuditLog } from './audit/file-audit-log.js';
import { fanOutAudit } from './audit/audit-sink.js';
import type { HandlerMap } from './gateway/rest/operations.js';
import type { Readiness } from './gateway/rest/service-routes.js';
import { startRestWorkers, type RestWorkerPool } from './gateway/rest/workers/worker-pool.js';
import { openSharedLimits } from './limits/shared-limits.js';
import { drain, listen } from './http/server.js';
import { configuredOrderPolicies, configuredRequestPolicies } from './limits/policies.js';
import { OrderRateLimiter, RequestRateLimiter } from './limits/index.js';
import type { Logger } from './observability/logger.js';
import { registerCoreGauges } from './observability/core-gauges.js';
import { fixObserver } from './observability/fix-observer.js';
import { instrumentBus } from './observability/instrumented-bus.js';
import { serviceUrls, type BannerInput } from './observability/banner.js';
import { createMetrics } from './observability/metrics.js';
import { refusalHooks } from './observability/refusal-hooks.js';
import { sequencerObserver } from './observability/sequencer-observer.js';
import { createTradingMetrics } from './observability/trading-metrics.js';
import { tracingFromEnv, type Tracing } from './observability/tracing.js';
import { ensureDemoAccount } from './demo/demo-account.js';
import { DemoMarketMaker } from './demo/market-maker.js';
import { DEFAULT_DEMO_SIGNUP_POLICY, DemoSignupLimiter, type DemoSignupPolicy } from './demo/self-service.js';
import { DeadManSwitches } from './order-entry/dead-man-switch.js';
import { OrderEntry } from './order-entry/order-entry.js';
import { startOtcDesk } from './rfq/setup.js';
import type { JournalFileSystem } from './journal/file-system.js';
import { openDurableSequencer, type DurableSequencer } from './sequencer/durable.js';
import type { Timers } from './sequencer/expiry-timer.js';
import { SqliteIdempotencyStore } from './storage/idempotency-store.js';
import { openDatabase } from './storage/sqlite.js';
import { openExternalStores } from './storage/external-stores.js';
import { PostgresHistory } from './history/postgres-history.js';
import { PostgresHistoryProjection } from './history/postgres-projection.js';
import type { HistoryReader } from './history/reader.js';
import type { HistoryStore } from './history/store.js';
import type { CommandBus } from './sequencer/api.js';

/**
 * What the service needs of its command bus: the durable sequencer, or a gateway's remote bus in
 * distributed mode (fleet/remote-command-bus.ts).
 */
export interface ServiceBus extends CommandBus {
  /** Order, fill and balance-change history, projected from this bus's events. */
  readonly history: HistoryStore;
  /** Resolves once the history holds the events of every command acknowledged so far. */
  historySynced(): Promise<void>;
  status(): { healthy: boolean; failure?: string; durableIndex: number; snapshotIndex: number; historyIndex: number };
  close(): Promise<void>;
}

export interface ServiceOptions<B extends ServiceBus = DurableSequencer> {
  config: Config;
  /** The command bus to serve on (default: the durable sequencer in the data directory). */
  openBus?: () => Promise<B>;
  logger: Logger;
  clock?: () => number;
  /** Wake-ups for GTD expiry (default: real timers); tests inject ones that follow `clock`. */
  timers?: Timers;
  /** Validate responses against the contract (tests turn it on). */
  validateResponses?: boolean;
  /** Run the demo market maker in demo mode (default true; tests that need quiet books turn it off). */
  demoBot?: boolean;
  /** The journal's file layer (tests inject write failures through it). */
  journalFileSystem?: JournalFileSystem;
  /** Demo self-service accounts per client IP (default 5 per hour). */
  demoSignupPolicy?: DemoSignupPolicy;
  /** Replace handlers (tests use it to prove the contract checks catch an off-contract body). */
  handlerOverrides?: Partial<HandlerMap>;
  /** Where spans go (tests pass an in-memory exporter's); default: as the OTEL_* variables say, off unless set. */
  tracing?: Tracing;
}

export interface RunningService<B extends ServiceBus = DurableSequencer> {
  httpPort: number;
  /** The port the REST gateway workers share, when `http.workers` > 0. */
  workersPort: number | undefined;
  /** The FIX acceptor's port, when it is enabled. */
  fixPort: number | undefined;
  server: Server;
  bus: B;
  /** The operator account's credentials (also in `<dataDir>/operator-credentials.json`). */
  operator: Credentials;
  /** The demo trading account's credentials (demo mode only). */
  demo: Credentials | undefined;
  /** Where everything is, for the start-up banner. */
  banner: BannerInput;
  /** Stops taking new work, drains in-flight requests, and closes everything. Idempotent. */
  close(): Promise<void>;
}

/** The FIX acceptor's TLS settings: the certificate and key files, TLS 1.2 or later. */
function fixTls(config: Config): TlsOptions | undefined {
  const { tlsCertFile, tlsKeyFile } = config.fix;
  if (tlsCertFile === '' && tlsKeyFile === '') return undefined;
  if (tlsCertFile === '' || tlsKeyFile === '') throw new Error('fix.tlsCertFile and fix.tlsKeyFile must be set together');
  return { cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile), minVersion: 'TLSv1.2' };
}

export async function startService<B extends ServiceBus = DurableSequencer>(opts: ServiceOptions<B>): Promise<RunningService<B>> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  let restWorkers: RestWorkerPool | undefined;
  // With REST workers, /metrics answers for this process and every worker, summed (once they have started).
  const metrics = createMetrics({ exposition: (own) => restWorkers?.metrics() ?? own.metrics() });
  const trading = createTradingMetrics(metrics.registry);
  const hooks = refusalHooks(trading);
  const tracing = opts.tracing ?? tracingFromEnv();
  const tracer = tracing.tracer;
  let shuttingDown = false;

  // stores: external connects first: an unreachable Redis or PostgreSQL stops start-up before anything else opens.
  const secretBox = SecretBox.fromConfig(resolveSecretsKey(config));
  const external = config.stores === 'external' ? await openExternalStores(config, secretBox, logger.child({ component: 'stores' }), { onLockout: hooks.onLockout }) : undefined;

  // Without openBus, B is DurableSequencer (the default type argument).
  const bus: B = opts.openBus ? await opts.openBus() : await openDurableSequencer({
    dataDir: config.dataDir, logger, clock: { now: clock }, observer: sequencerObserver(trading, tracer),
    snapshotEveryCommands: config.snapshots.everyCommands, snapshotIntervalMs: config.snapshots.intervalMs,
    ...(opts.timers && { timers: opts.timers }), ...(opts.journalFileSystem && { fileSystem: opts.journalFileSystem }),
  }) as unknown as B;
  // Gateways and order entry submit through this: it counts orders by channel and traces each command.
  const recentRejects = new RecentRejects();
  const commands = instrumentBus(bus, trading, tracer, { recent: recentRejects, clock });
  // Keys and timers change rarely and are synced on every commit. The replay and idempotency
  // caches are written on every request, so they commit without a sync (WAL, synchronous=NORMAL):
  // that survives a process crash, and a power loss outlasts the replay window anyway.
  const gatewayDb = openDatabase(join(config.dataDir, 'gateway.db'));
  const cacheDb = openDatabase(join(config.dataDir, 'request-cache.db'), { synchronous: 'NORMAL' });
  const keys = external?.keys ?? new SqliteApiKeyStore(gatewayDb, secretBox, { now: clock });
  // With REST workers, every process spends request weight and counts authentication failures
  // in one shared store; a single process keeps them in memory. External stores share them with every host.
  const sharedLimits = config.http.workers > 0 && !external ? await openSharedLimits(config, { hooks }) : undefined;
  const requestLimiter = sharedLimits?.requestLimiter
    ?? new RequestRateLimiter({ policies: configuredRequestPolicies(config.limits), now: clock, onRefused: hooks.onRequestRefused, ...(external && { buckets: external.buckets }) });
  const verifier = new RequestVerifier({
    store: keys, replayCache: external?.replayCache ?? new SqliteReplayCache(cacheDb), now: clock, onFailure: hooks.onAuthFailure,
    lockout: external?.lockout ?? sharedLimits?.lockout ?? new AuthLockout({ onLockout: hooks.onLockout }),
    onError: (err) => logger.error({ err }, 'authentication store failed'),
  });
  // History reads: the embedded store, or PostgreSQL kept up with it by the copy loop.
  const pgHistory = external ? new PostgresHistory(external.pool) : undefined;
  const localChanges = external ? bus.history.changeReader() : undefined;
  const historyCopy = localChanges && pgHistory ? new PostgresHistoryProjection({
    // The replica writes the embedded history from its own thread: its seq is read from the database.
    source: localChanges, target: pgHistory, localSynced: () => bus.historySynced(), localSeq: () => localChanges.projectedSeq(),
    subscribe: (wake) => bus.onEvents(wake), logger: logger.child({ component: 'history-copy' }),
  }) : undefined;
  const history: HistoryReader = pgHistory ?? bus.history;
  const historySynced = historyCopy ? () => historyCopy.synced() : () => bus.historySynced();
  const orders = new OrderEntry({
    bus: commands, history, historySynced,
    orderLimiter: new OrderRateLimiter({ now: clock, policies: configuredOrderPolicies(config.limits), onRefused: hooks.onOrderRefused, ...(external && { windows: external.windows }) }),
    idempotency: external?.idempotency ?? new SqliteIdempotencyStore(cacheDb), clock, tracer, onOrderRateLimited: hooks.onOrderRateLimited,
  });
  const deadMan = new DeadManSwitches(gatewayDb, async (accountId) => {
    const outcome = await orders.cancelAll(accountId);
    if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  }, clock, logger);

  await listConfiguredMarkets(commands, config);
  const operator = await ensureAccountWithKey(commands, keys, join(config.dataDir, 'operator-credentials.json'), OPERATOR_ACCOUNT, ['operator', 'read', 'trade'], 'operator (bootstrap)');
  logger.info({ file: join(config.dataDir, 'operator-credentials.json') }, 'operator credentials ready');
  deadMan.restore();

  // Demo mode: a funded account whose credentials are printed, and a bot that makes a market.
  let bot: DemoMarketMaker | undefined;
  let demo: Credentials | undefined;
  if (config.mode === 'demo') {
    const d = await ensureDemoAccount(commands, keys, config.dataDir);
    demo = { accountId: d.accountId, keyId: d.keyId, secret: d.secret };
    logger.info({ accountId: d.accountId, keyId: d.keyId, secret: d.secret, file: d.file }, 'demo trading account ready (demo mode only: never in production)');
    if (opts.demoBot ?? true) {
      bot = new DemoMarketMaker({ bus: commands, logger: logger.child({ component: 'demo-market-maker' }) });
      await bot.start();
    }
  }

  const readiness = (): Readiness => {
    const durability = bus.status();
    // Without Redis nothing can be authenticated or limited: not ready. Without PostgreSQL trading
    // goes on (history reads answer 503): reported, but still ready.
    const redisOk = external?.redisReady() ?? true;
    const copy = historyCopy?.status();
    return {
      ready: !shuttingDown && durability.healthy && redisOk,
      checks: {
        shutdown: { ok: !shuttingDown, ...(shuttingDown && { detail: 'shutting down' }) },
        journal: { ok: durability.healthy, ...(durability.failure !== undefined && { detail: durability.failure }) },
        ...(external && { redis: { ok: redisOk, ...(!redisOk && { detail: `Redis is ${external.redis.status}` }) } }),
        ...(copy && { history: { ok: copy.ok, ...(copy.detail !== undefined && { detail: `PostgreSQL: ${copy.detail}` }) } }),
      },
    };
  };

  const otc = await startOtcDesk({ config, bus: commands, orders, history: bus.history, historySynced: () => bus.historySynced(), clock });

  // Every operator action and API key change is appended to the hash-chained audit log, and with
  // external stores also to PostgreSQL's append-only audit table.
  const auditLog = FileAuditLog.open(join(config.dataDir, 'audit.log'));
  const auditSink = external ? fanOutAudit(auditLog, external.audit) : auditLog;
  const handlers: HandlerMap = auditedHandlers({
    ...createHandlers({
      clock, bus: commands, history, historySynced, keys, orders, requestLimiter, deadMan, rfq: otc.desk,
      audit: auditLog, status: () => operatorStatus(),
      mode: config.mode, healthy: () => !shuttingDown && bus.status().healthy,
      ...(config.mode === 'demo' && { demoSignups: new DemoSignupLimiter(opts.demoSignupPolicy ?? DEFAULT_DEMO_SIGNUP_POLICY, clock) }),
    }),
    ...opts.handlerOverrides,
  }, auditSink, { clock, onError: (err, operationId) => logger.error({ err, operationId }, 'audit entry could not be written') });
  const app = createRestApp({
    config, logger, metrics, handlers, readiness, tracer,
    validateResponses: opts.validateResponses ?? false,
    ...restChecks({ verifier, requestLimiter, explainSignatures: config.mode === 'demo' }),
  });
  const { server, port } = await listen(app, config.http.host, config.http.port);
  logger.info({ port, host: config.http.host, mode: config.mode }, 'REST gateway listening');

  // REST gateway workers (opt-in): processes that do REST's per-request work and call these handlers.
  restWorkers = config.http.workers > 0
    ? await startRestWorkers({ count: config.http.workers, config, secretsKey: resolveSecretsKey(config), handlers, readiness, tracer, registry: metrics.registry, logger: logger.child({ component: 'rest-workers' }) })
    : undefined;

  const ws = attachWsGateway({
    server, bus: commands, verifier, tracer, keys, limits: { requests: requestLimiter }, orders, clock, otc,
    logger: logger.child({ gateway: 'ws' }), registry: metrics.registry,
    // Same client-address rule as REST, so per-IP limits and allowlists see the real client.
    config: { ...config.ws, trustProxyHops: config.http.trustProxyHops },
  });
  logger.info({ path: '/v1/ws' }, 'WebSocket gateway attached');

  let fix: FixAcceptor | undefined;
  if (config.fix.enabled) {
    fix = await startFixAcceptor({
      bus: commands, orders, rfq: otc.desk, observer: fixObserver(trading, tracer), authenticator: verifier, keyStore: keys, dataDir: config.dataDir, compId: config.fix.compId,
      host: config.fix.host, port: config.fix.port, logger: logger.child({ gateway: 'fix' }), now: clock,
      defaults: { resetOnLogon: config.fix.resetOnLogon, cancelOnDisconnect: config.fix.cancelOnDisconnect },
      // Market data spends the same request-weight budgets, and keeps the same limits, as on WebSocket.
      requestLimiter, marketData: { maxSubscriptions: config.ws.maxSubscriptions, conflateBytes: config.ws.conflateBytes },
      ...(external && { leases: external.leases, sessionStore: new PostgresFixSessionBackend(external.pool) }),
      ...(fixTls(config) && { tls: fixTls(config) }),
    });
  }

  let liveFixSessions = (): number => 0;
  if (fix) {
    const sessions = fix.sessions;
    liveFixSessions = () => [...sessions.values()].filter((s) => s.isLoggedOn).length;
  }
  registerCoreGauges(metrics.registry, {
    ready: () => readiness().ready,
    journal: () => {
      const status = bus.status();
      return { durableIndex: status.durableIndex, historyIndex: status.historyIndex };
    },
    fixSessions: liveFixSessions,
  });
  const banner: BannerInput = {
    host: config.http.host, httpPort: port, fixPort: fix?.port, fixCompId: config.fix.compId, mode: config.mode, dataDir: config.dataDir,
    demoCredentialsFile: demo ? join(config.dataDir, 'demo-credentials.json') : undefined,
    operatorCredentialsFile: join(config.dataDir, 'operator-credentials.json'),
  };
  logger.info({ urls: serviceUrls(banner), demoCredentials: banner.demoCredentialsFile, operatorCredentials: banner.operatorCredentialsFile }, 'service ready');

  // History retention (off by default): a bounded batch per tick, so pruning never holds the loop
  // long; the PostgreSQL history (stores: external) is pruned by the same rule.
  let pruningPostgres = false;
  const retention = config.history.retentionDays > 0 ? setInterval(() => {
    const before = clock() - config.history.retentionDays * 86_400_000;
    try {
      bus.history.prune(before, 1000);
    } catch (err) {
      logger.warn({ err }, 'history: retention pruning failed; will retry');
    }
    if (pgHistory && !pruningPostgres) {
      pruningPostgres = true;
      pgHistory.prune(before, 1000)
        .catch((err: unknown) => logger.warn({ err }, 'history: retention pruning in PostgreSQL failed; will retry'))
        .finally(() => { pruningPostgres = false; });
    }
  }, 10_000) : undefined;
  retention?.unref();

  // What the operator status page shows (GET /v1/operator/status).
  const operatorStatus = (): OperatorStatus => {
    const durability = bus.status();
    return {
      ...readiness(),
      journal: {
        durableIndex: durability.durableIndex, snapshotIndex: durability.snapshotIndex, historyIndex: durability.historyIndex,
        historyLagRecords: Math.max(0, durability.durableIndex - durability.historyIndex),
      },
      sessions: {
        fix: [...(fix?.sessions.entries() ?? [])].map(([senderCompId, session]) => ({ senderCompId, loggedOn: session.isLoggedOn })),
        wsConnections: ws.metrics.connectionsOpen,
        wsSubscriptions: ws.subscriptions(),
      },
      recentRejects: recentRejects.list(),
    };
  };

  let closing: Promise<void> | undefined;
  return {
    banner,
    httpPort: port,
    workersPort: restWorkers?.port,
    fixPort: fix?.port,
    server,
    bus,
    operator,
    demo,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        if (retention) clearInterval(retention);
        await bot?.stop();
        // Workers first: their in-flight requests still need these handlers.
        await restWorkers?.close();
        // WebSocket sessions first (their cancel-on-disconnect still reaches the bus), then HTTP and FIX.
        await ws.close();
        await Promise.all([drain(server, config.http.shutdownGraceMs), fix?.close()]);
        deadMan.close();
        await historyCopy?.close();
        await bus.close();
        gatewayDb.close();
        cacheDb.close();
        auditLog.close();
        sharedLimits?.close();
        await external?.close();
        // Spans still buffered go out now; a tracer the caller passed in is the caller's to shut down.
        if (!opts.tracing) await tracing.shutdown().catch(() => {});
        logger.info('service stopped');
      })();
      return closing;
    },
  };
}
