/**
 * Entry of a REST gateway worker process (forked by worker-pool.ts). It serves the same REST app
 * as the core process and does the per-request work itself: parsing and contract validation,
 * signature verification over the core's key and replay-cache databases, and request-weight
 * limits and authentication lockouts in the shared limits database. Only the handler call
 * crosses to the core process.
 *
 * It drains and exits when the core asks and on SIGTERM. When its channel to the core closes (the
 * core process is gone) node's cluster exits it at once: nothing could be served any more.
 * SIGINT (a terminal's Ctrl-C reaches the whole process group) is left to the core process,
 * which stops its workers.
 */
import cluster from 'node:cluster';
import { join } from 'node:path';
import { RequestVerifier, SecretBox, SqliteApiKeyStore, SqliteReplayCache } from '../../../auth/index.js';
import { drain, listen } from '../../../http/server.js';
import { createLogger } from '../../../observability/logger.js';
import { createMetrics } from '../../../observability/metrics.js';
import { refusalHooks } from '../../../observability/refusal-hooks.js';
import { createTradingMetrics } from '../../../observability/trading-metrics.js';
import { tracingFromEnv } from '../../../observability/tracing.js';
import { openDatabase } from '../../../storage/sqlite.js';
import { createRestApp } from '../app.js';
import { restChecks } from '../checks.js';
import { channelToCore } from './channel.js';
import { coreExposition, serveRegistry } from './cluster-metrics.js';
import type { StartMessage } from './protocol.js';
import { CoreLink, remoteHandlers } from './remote-handlers.js';
import { openExternalStores } from '../../../storage/external-stores.js';
import { configuredRequestPolicies } from '../../../limits/policies.js';
import { RequestRateLimiter } from '../../../limits/index.js';
import { openSharedLimits } from '../../../limits/shared-limits.js';

const channel = channelToCore();
process.on('SIGINT', () => {});

const start = await new Promise<StartMessage>((resolve) => {
  const stop = channel.onMessage((message) => {
    // Stopped before it started (the core process closed while this replacement was forking).
    if (message.type === 'rest-worker:drain') process.exit(0);
    if (message.type !== 'rest-worker:start') return;
    stop();
    resolve(message);
  });
  channel.send({ type: 'rest-worker:hello' });
});
const { config, port, operationIds } = start;
const logger = createLogger(config.logLevel).child({ restWorker: cluster.worker?.id, pid: process.pid });

// This worker counts its own requests, refusals and authentication failures; its /metrics answers
// the core's sum over every process.
const fromCore = coreExposition(channel);
const metrics = createMetrics({ exposition: () => fromCore.exposition() });
const hooks = refusalHooks(createTradingMetrics(metrics.registry));
serveRegistry(channel, metrics.registry);
// The OTEL_* variables are inherited from the core process; handler calls carry the trace on to it.
const tracing = tracingFromEnv();
const box = SecretBox.fromConfig(start.secretsKey);
/**
 * The stores this worker verifies and limits with. Embedded: the core process's own files, keys
 * (revocations are seen at once through PRAGMA data_version) and the replay cache, whose primary
 * key refuses a signature a second time whichever process saw it first (openDatabase sets a
 * busy_timeout, so concurrent writers wait rather than fail), and the shared limits database,
 * whose expired lockout counters the core process sweeps. External: Redis and PostgreSQL, as
 * every process on every host.
 */
async function openStores() {
  if (config.stores === 'external') {
    const external = await openExternalStores(config, box, logger, { onLockout: hooks.onLockout });
    const requestLimiter = new RequestRateLimiter({ policies: configuredRequestPolicies(config.limits), buckets: external.buckets, onRefused: hooks.onRequestRefused });
    return { keys: external.keys, replayCache: external.replayCache, lockout: external.lockout, requestLimiter, close: () => external.close() };
  }
  const gatewayDb = openDatabase(join(config.dataDir, 'gateway.db'));
  const replayCache = SqliteReplayCache.openFile(join(config.dataDir, 'request-cache.db'));
  const limits = await openSharedLimits(config, { sweepExpiredLockouts: false, hooks });
  return {
    keys: new SqliteApiKeyStore(gatewayDb, box), replayCache, lockout: limits.lockout, requestLimiter: limits.requestLimiter,
    close: async () => {
      limits.close();
      replayCache.close();
      gatewayDb.close();
    },
  };
}
const stores = await openStores();
const verifier = new RequestVerifier({
  store: stores.keys, replayCache: stores.replayCache, lockout: stores.lockout, onFailure: hooks.onAuthFailure,
  onError: (err) => logger.error({ err }, 'authentication store failed'),
});
const link = new CoreLink(channel);

const app = createRestApp({
  config, logger, metrics, tracer: tracing.tracer,
  handlers: remoteHandlers(link, operationIds),
  readiness: () => link.readiness(),
  // The same checks as the core process's REST.
  ...restChecks({ verifier, requestLimiter: stores.requestLimiter, explainSignatures: config.mode === 'demo' }),
});

let server;
try {
  ({ server } = await listen(app, config.http.host, port));
} catch (err) {
  logger.error({ err, port }, 'REST worker cannot listen');
  process.exit(1);
}
const listening = server;

let stopping: Promise<void> | undefined;
function stop(reason: string, graceMs: number): void {
  stopping ??= (async () => {
    logger.info({ reason }, 'REST worker draining');
    // Never outlive a stuck drain.
    setTimeout(() => process.exit(1), graceMs + 2000).unref();
    await drain(listening, graceMs);
    link.close();
    fromCore.close();
    await tracing.shutdown().catch(() => {});
    await stores.close();
    logger.info('REST worker stopped');
    process.exit(0);
  })();
}

channel.onMessage((message) => {
  if (message.type === 'rest-worker:drain') stop('asked by the core process', message.graceMs);
});
process.on('SIGTERM', () => stop('SIGTERM', config.http.shutdownGraceMs));
logger.info({ port }, 'REST worker listening');
channel.send({ type: 'rest-worker:ready', port });
