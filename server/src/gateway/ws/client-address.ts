/** The client's IP for a WebSocket upgrade, trusting X-Forwarded-For exactly as far as REST does (Express `trust proxy` with a hop count). */
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const socketAddress = req.socket.remoteAddress ?? '';
  if (trustProxyHops <= 0) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  // Nearest first: the socket peer, then each proxy's view of who called it.
  const chain = [socketAddress, ...forwarded.reverse()];
  return chain[Math.min(trustProxyHops, chain.length - 1)]!;
}
