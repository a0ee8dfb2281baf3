/**
 * The test servers' start-up under port races: freePort draws ports that outgoing connections can
 * never hold, and a nats-server that dies at start because its port was taken is started again on
 * fresh ports instead of being waited for until the test times out.
 */
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageType } from 'nats';
import { freePort } from '../helpers/free-port.js';
import { startNatsServer, type NatsTestCluster } from '../helpers/nats-cluster.js';
import { startRedisServer } from '../helpers/redis-server.js';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range that a server can bind', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(ephemeralStart);
    const server = createServer();
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(ports[0], '127.0.0.1', resolve); });
    expect((server.address() as { port: number }).port).toBe(ports[0]);
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('nats-server start on a taken port', () => {
  let squatter: Server | undefined;
  let nats: NatsTestCluster | undefined;
  afterAll(async () => {
    await nats?.close();
    if (squatter) await new Promise((resolve) => squatter!.close(resolve));
  });

  it('starts the node again on fresh ports and serves clients', async () => {
    squatter = createServer((socket) => socket.resume()); // reads, never answers: a foreign server
    await new Promise<void>((resolve) => squatter!.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    const handed: number[] = [];
    // The first port handed out (the client port of the first attempt) is already held.
    const portSource = async (): Promise<number> => {
      const port = handed.length === 0 ? taken : await freePort();
      handed.push(port);
      return port;
    };

    nats = await startNatsServer({ portSource });

    expect(handed.length).toBe(6); // two attempts of three ports each
    expect(nats.servers).not.toContain(`nats://127.0.0.1:${taken}`);
    const nc = await nats.connect({ timeout: 5_000 });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'RETRY_TEST', subjects: ['retry.test'], storage: StorageType.Memory, num_replicas: nats.replicas });
      expect((await nc.jetstream().publish('retry.test', new TextEncoder().encode('x'))).seq).toBe(1);
    } finally {
      await nc.close();
    }
  });
});

describe('redis-server start on a taken port', () => {
  it('fails at once with the server\'s own reason, instead of waiting for an answer that never comes', async () => {
    const squatter = createServer((socket) => socket.resume()); // reads, never answers: a foreign server
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    try {
      const taken = (squatter.address() as { port: number }).port;
      await expect(startRedisServer({ port: taken })).rejects.toThrow(/exited at start[\s\S]*Address already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
