/**
 * The process entry of one core node in distributed mode (`tsx server/src/fleet/core-main.ts`):
 * connects to NATS (`NATS_URL`), then follows shard `FLEET_SHARD`'s log as a standby and leads
 * when it wins the lease (core-node.ts). Run two or more per shard. SIGTERM or SIGINT: a leader
 * finishes the appends it has sent and gives its lease up, so a standby takes over at once.
 *
 * Each change of role is logged (`role`, `term`, `appliedSeq`), for operators and for the chaos
 * tests, which read the log lines to see which process leads.
 */
import { connect } from 'nats';
import { ConfigError, loadConfig } from '../config/load.js';
import { createProcessLogger } from '../observability/logger.js';
import { CoreNode } from './core-node.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createProcessLogger({ level: config.logLevel, mode: config.mode, isTty: process.stdout.isTTY === true, pretty: process.env.LOG_PRETTY });
  const { fleet } = config;
  const servers = fleet.natsUrl.split(',').map((url) => url.trim()).filter((url) => url.length > 0);
  const nc = await connect({ servers, name: `core-${fleet.shard}-${fleet.nodeId || process.pid}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  void (async () => {
    for await (const status of nc.status()) logger.info({ nats: status.type, data: String(status.data) }, 'NATS connection status');
  })();
  let node: CoreNode | undefined;
  node = await CoreNode.start({
    nc,
    shard: fleet.shard,
    ...(fleet.nodeId !== '' && { nodeId: fleet.nodeId }),
    replicas: fleet.replicas,
    leaseTtlMs: fleet.leaseTtlMs,
    logger,
    observer: {
      roleChanged: (role, previous) => logger.info({ role, previous, term: node?.term, appliedSeq: node?.appliedSeq }, `core node is now ${role}`),
    },
  });
  logger.info({ nodeId: node.nodeId, shard: fleet.shard, servers }, 'core node started');

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    node.close()
      .then(() => nc.drain())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
