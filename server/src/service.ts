/**
 * Composition root: builds every component from the configuration and wires them together.
 * `main.ts` calls it for the real process; tests call it to run a whole service in-process.
 */
import type { Server } from 'node:http';
import type { Config } from './config/schema.js';
import { createHandlers } from './gateway/rest/handlers/index.js';
import { createRestApp } from './gateway/rest/app.js';
import type { Readiness } from './gateway/rest/service-routes.js';
import type { HandlerMap } from './gateway/rest/operations.js';
import { drain, listen } from './http/server.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  clock?: () => number;
  /** Validate responses against the contract (tests turn it on). */
  validateResponses?: boolean;
  /** Replace handlers (tests use it to prove the contract checks catch an off-contract body). */
  handlerOverrides?: Partial<HandlerMap>;
}

export interface RunningService {
  httpPort: number;
  server: Server;
  /** Stops taking new work, drains in-flight requests, and closes everything. Idempotent. */
  close(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { config, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const metrics = createMetrics();
  let shuttingDown = false;

  const readiness = (): Readiness => ({
    ready: !shuttingDown,
    checks: { shutdown: { ok: !shuttingDown, ...(shuttingDown && { detail: 'shutting down' }) } },
  });

  const handlers: HandlerMap = { ...createHandlers({ clock, instruments: () => config.instruments }), ...opts.handlerOverrides };
  const app = createRestApp({ config, logger, metrics, handlers, readiness, validateResponses: opts.validateResponses ?? false });
  const { server, port } = await listen(app, config.http.host, config.http.port);
  logger.info({ port, host: config.http.host, mode: config.mode }, 'REST gateway listening');

  let closing: Promise<void> | undefined;
  return {
    httpPort: port,
    server,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        await drain(server, config.http.shutdownGraceMs);
        logger.info('service stopped');
      })();
      return closing;
    },
  };
}
