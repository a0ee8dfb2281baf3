/**
 * A loopback TCP port free at the time of asking, for a server a test or benchmark starts as a
 * separate process (nats-server, redis-server, a core node's HTTP listener, the QuickFIX acceptor
 * of bench:fix) that cannot report the port it was given by the kernel.
 */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
