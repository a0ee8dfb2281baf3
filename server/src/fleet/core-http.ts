/**
 * A core node's HTTP listener: /metrics for Prometheus, /health/live (the process answers) and
 * /health/ready (leading, or a standby caught up with the log: CoreNode.readiness), in the same
 * shapes the gateways answer. Plain node:http: the core process serves nothing else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { CoreReadiness } from './core-node.js';

export interface CoreHttpOptions {
  host: string;
  /** 0: an ephemeral port (the listener reports the one it got). */
  port: number;
  registry: Registry;
  readiness: () => Promise<CoreReadiness>;
}

export interface CoreHttp {
  port: number;
  close(): Promise<void>;
}

export async function startCoreHttp(options: CoreHttpOptions): Promise<CoreHttp> {
  const server = createServer((req, res) => {
    route(req, res, options).catch((error: unknown) => send(res, 500, 'text/plain', `${(error as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

async function route(req: IncomingMessage, res: ServerResponse, options: CoreHttpOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/health/live':
      return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
    case '/health/ready': {
      const { ready, ...check } = await options.readiness();
      const body = { status: ready ? 'ready' : 'not_ready', checks: { core: { ok: ready, ...check } } };
      return send(res, ready ? 200 : 503, 'application/json', JSON.stringify(body));
    }
    case '/metrics':
      return send(res, 200, options.registry.contentType, await options.registry.metrics());
    default:
      return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
