/**
 * The process entry of one core node in distributed mode (`tsx server/src/fleet/core-main.ts`):
 * connects to NATS (`NATS_URL`), then follows shard `FLEET_SHARD`'s log as a standby and leads
 * when it wins the lease (core-node.ts). Run two or more per shard. SIGTERM or SIGINT: a leader
 * finishes the appends it has sent and gives its lease up, so a standby takes over at once.
 *
 * Each change of role is logged (`role`, `term`, `appliedSeq`), for operators and for the chaos
 * tests, which read the log lines to see which process leads. With FLEET_CORE_HTTP_PORT set, the
 * node serves /metrics and /health/{live,ready} on HOST at that port (core-http.ts).
 */
import { connect } from 'nats';
import { runProcess } from '../process/entry.js';
import { startCoreHttp, type CoreHttp } from './core-http.js';
import { createCoreNodeMetrics } from './core-metrics.js';
import { CoreNode } from './core-node.js';

runProcess(async ({ config, logger }) => {
  const { fleet } = config;
  const servers = fleet.natsUrl.split(',').map((url) => url.trim()).filter((url) => url.length > 0);
  const nc = await connect({ servers, name: `core-${fleet.shard}-${fleet.nodeId || process.pid}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  void (async () => {
    for await (const status of nc.status()) logger.info({ nats: status.type, data: String(status.data) }, 'NATS connection status');
  })();
  const metrics = createCoreNodeMetrics();
  let node: CoreNode | undefined;
  // Listening before the node starts, so liveness answers while it opens the log.
  let http: CoreHttp | undefined;
  if (fleet.coreHttpPort !== 0) {
    http = await startCoreHttp({
      host: config.http.host, port: fleet.coreHttpPort, registry: metrics.registry,
      readiness: () => node?.readiness() ?? Promise.resolve({ ready: false, role: 'starting', appliedSeq: 0, detail: 'the node is starting' }),
    });
    logger.info({ host: config.http.host, port: http.port }, 'core node HTTP listener: /metrics, /health/live, /health/ready');
  }
  node = await CoreNode.start({
    nc,
    shard: fleet.shard,
    ...(fleet.nodeId !== '' && { nodeId: fleet.nodeId }),
    replicas: fleet.replicas,
    leaseTtlMs: fleet.leaseTtlMs,
    logger,
    observer: {
      appended: (seconds) => metrics.observer.appended?.(seconds),
      roleChanged: (role, previous) => {
        metrics.observer.roleChanged?.(role, previous);
        logger.info({ role, previous, term: node?.term, appliedSeq: node?.appliedSeq }, `core node is now ${role}`);
      },
    },
  });
  metrics.watch(node);
  logger.info({ nodeId: node.nodeId, shard: fleet.shard, servers }, 'core node started');
  const started = node;
  return { close: () => started.close().then(() => nc.drain()).then(() => http?.close()) };
});
