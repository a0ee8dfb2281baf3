/**
 * A loopback TCP port free at the time of asking, for a server a test or benchmark starts as a
 * separate process (nats-server, redis-server, a core node's HTTP listener, the QuickFIX acceptor
 * of bench:fix) that cannot report the port it was given by the kernel.
 *
 * The port is drawn below the kernel's ephemeral range on purpose. A port the kernel hands out
 * for `listen(0)` comes from the same range as the source ports of outgoing connections, and the
 * suite opens thousands of those: between our check and the server's bind, one of them could take
 * the port and the server would fail to start (a CI run lost a nats-server that way). Ports below
 * the range are only ever taken by explicit binds.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port drawn: above the well-known service ports this machine runs (PostgreSQL, Redis, NATS, RabbitMQ). */
const LOWEST = 20_000;
const ATTEMPTS = 200;
/** Ports this process already handed out: never twice, even after the server on one has stopped. */
const handedOut = new Set<number>();

function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(low);
  } catch {
    return 32_768; // Linux's default, and the IANA range starts higher still
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  const highest = ephemeralRangeStart() - 1;
  // A machine whose ephemeral range starts low leaves no quiet range: take the kernel's pick.
  if (highest - LOWEST < 1_000) return kernelPort();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port in ${LOWEST}-${highest} after ${ATTEMPTS} attempts`);
}
