/**
 * A gateway process of distributed mode: REST, WebSocket and FIX, as the embedded service serves
 * them, on a RemoteCommandBus instead of a local sequencer. It holds no state of its own that
 * another gateway would need: keys, replay cache, budgets, lockouts, idempotency, FIX sessions
 * and history are in Redis and PostgreSQL (`stores: external`, required here), and the core's
 * state is a replica rebuilt from the shard's log. Run as many as wanted, on any host.
 */
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { StartupConfigError } from '../process/entry.js';
import { startService, type RunningService, type ServiceOptions } from '../service.js';
import { openRemoteCommandBus, type RemoteCommandBus, type RemoteCommandBusOptions } from './remote-command-bus.js';

export interface GatewayOptions extends Omit<ServiceOptions<RemoteCommandBus>, 'openBus' | 'timers' | 'journalFileSystem'> {
  /** Overrides of the remote bus's waits (tests shorten the leader wait). */
  bus?: Partial<Pick<RemoteCommandBusOptions, 'requestTimeoutMs' | 'leaderWaitMs' | 'resultTimeoutMs'>>;
}

export interface RunningGateway extends RunningService<RemoteCommandBus> {
  nats: NatsConnection;
}

export class GatewayConfigError extends StartupConfigError {
  override readonly name = 'GatewayConfigError';
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = opts;
  if (config.stores !== 'external') {
    throw new GatewayConfigError('a gateway process needs STORES=external (Redis and PostgreSQL): its keys, limits, idempotency and FIX sessions are shared with every other gateway');
  }
  const nats = await connectToFleet(config, logger);
  let service: RunningService<RemoteCommandBus>;
  try {
    service = await startService<RemoteCommandBus>({
      ...opts,
      demoBot: (opts.demoBot ?? true) && config.fleet.demoBot,
      openBus: () => openRemoteCommandBus({
        nc: nats, logger: logger.child({ component: 'remote-bus' }), shard: config.fleet.shard,
        historyFile: join(config.dataDir, 'history.db'), ...opts.bus,
      }),
    });
  } catch (error) {
    await nats.close();
    throw error;
  }
  const close = service.close;
  return {
    ...service,
    nats,
    close: async () => {
      await close();
      await nats.drain().catch(() => nats.close());
    },
  };
}

/** Connects for good: reconnects for ever (to any server of the list), so a NATS outage is waited out, not fatal. */
async function connectToFleet(config: Config, logger: Logger): Promise<NatsConnection> {
  const servers = config.fleet.natsUrl.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const nats = await connect({ servers, name: `gateway-${process.pid}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true });
  void (async () => {
    for await (const change of nats.status()) {
      if (change.type === 'disconnect') logger.warn({ server: change.data }, 'fleet: disconnected from NATS; reconnecting');
      else if (change.type === 'reconnect') logger.info({ server: change.data }, 'fleet: reconnected to NATS');
    }
  })();
  logger.info({ servers, shard: config.fleet.shard }, 'fleet: connected to NATS');
  return nats;
}
