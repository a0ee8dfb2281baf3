/**
 * An HTTP proxy in front of a real service that can lose the answer to chosen requests: it
 * forwards the request (so the server acts on it), then either answers the client 502 or cuts
 * the connection. This is the ambiguous failure a client must survive without acting twice.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'bad-gateway' | 'drop';

export interface ForwardedRequest {
  method: string;
  url: string;
  body: string;
  /** The server's answer, as the proxy received it. */
  status: number;
  responseBody: string;
  /** What the client got instead, when a fault was applied. */
  fault?: Fault;
}

export interface FaultyProxy {
  baseUrl: string;
  /** Everything forwarded, in order. */
  forwarded: ForwardedRequest[];
  /** Applies `fault` to the next request matching `method` and a path starting with `pathPrefix`. */
  failNext(method: string, pathPrefix: string, fault: Fault): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(targetBaseUrl: string): Promise<FaultyProxy> {
  const target = new URL(targetBaseUrl);
  const forwarded: ForwardedRequest[] = [];
  const faults: { method: string; pathPrefix: string; fault: Fault }[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = faults.findIndex((f) => f.method === req.method && (req.url ?? '').startsWith(f.pathPrefix));
      const fault = index >= 0 ? faults.splice(index, 1)[0]!.fault : undefined;
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
        const upChunks: Buffer[] = [];
        up.on('data', (c: Buffer) => upChunks.push(c));
        up.on('end', () => {
          const responseBody = Buffer.concat(upChunks);
          forwarded.push({
            method: req.method ?? '', url: req.url ?? '', body: body.toString('utf8'), status: up.statusCode ?? 0,
            responseBody: responseBody.toString('utf8'), ...(fault && { fault }),
          });
          if (fault === 'drop') return req.socket.destroy();
          if (fault === 'bad-gateway') return res.writeHead(502, { 'Content-Type': 'text/plain' }).end('upstream answer lost');
          res.writeHead(up.statusCode ?? 502, up.headers).end(responseBody);
        });
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    failNext: (method, pathPrefix, fault) => void faults.push({ method, pathPrefix, fault }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
