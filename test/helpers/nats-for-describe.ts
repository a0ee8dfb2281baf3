/**
 * The NATS servers of one describe block (bench/ uses nats-cluster.ts outside vitest, so the
 * vitest hooks live here).
 */
import type { ConnectionOptions, NatsConnection } from 'nats';
import { afterAll, beforeAll } from 'vitest';
import type { NatsTestCluster } from './nats-cluster.js';

/** The NATS servers of one describe block, and the connections its tests open. */
export interface NatsForDescribe {
  /** The servers (started in the block's beforeAll). */
  readonly cluster: NatsTestCluster;
  /** A client of the servers, as `cluster.connect`; closed after the block's tests, before the servers stop. */
  connect(options?: Partial<ConnectionOptions>): Promise<NatsConnection>;
}

/** Starts servers with `start` before the calling describe block's tests and stops them after, with the connections they opened. */
export function natsForDescribe(start: () => Promise<NatsTestCluster>): NatsForDescribe {
  let cluster: NatsTestCluster | undefined;
  const connections: NatsConnection[] = [];
  beforeAll(async () => {
    cluster = await start();
  });
  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => undefined);
    await cluster?.close();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the NATS servers start in beforeAll');
      return cluster;
    },
    async connect(options) {
      const nc = await this.cluster.connect(options);
      connections.push(nc);
      return nc;
    },
  };
}
