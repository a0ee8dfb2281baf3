/**
 * Assembles the REST gateway: hardening and request context first, then the service routes
 * (health, metrics, docs), then the contract-driven /v1 operations behind request validation,
 * and finally the problem-details error handler.
 */
import type { Tracer } from '@opentelemetry/api';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Config } from '../../config/schema.js';
import { ApiError } from '../../errors/api-error.js';
import type { Logger } from '../../observability/logger.js';
import type { HttpMetrics } from '../../observability/metrics.js';
import type { HandlerMap } from './operations.js';
import { FORBIDDEN_KEYS, PrototypePollutionError, requireJsonContentType } from './json-body.js';
import { opsPageRouter } from './ops-page.js';
import { problemHandler } from './problem.js';
import { reenterRequestContext, requestContext } from './request-context.js';
import { listOperations, operationRouter, type BeforeHandler } from './routes.js';
import { isApiPath, securityHeaders } from './security-headers.js';
import { serviceRouter, type Readiness } from './service-routes.js';
import { loadBundledSpec } from './spec.js';
import { memoizeValidatorRouteLookup } from './validator-route-cache.js';

export interface RestAppOptions {
  config: Config;
  logger: Logger;
  metrics: HttpMetrics;
  handlers: HandlerMap;
  readiness: () => Readiness;
  /** Validate every response against the contract (on in tests: an off-contract body becomes a 500). */
  validateResponses?: boolean;
  /** Middleware to run before a handler (authentication, rate limits), chosen per operation. */
  before?: BeforeHandler;
  /** Runs on every failed /v1 request before it becomes a problem (charges refused requests to the IP budget). */
  onRefused?: ErrorRequestHandler;
  /** Traces each request (a server span per request; no-op spans when absent). */
  tracer?: Tracer;
}

export { PrototypePollutionError } from './json-body.js';

export function createRestApp(opts: RestAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.config.http.trustProxyHops);
  app.set('etag', false);

  app.use(requestContext(opts.logger, opts.metrics, opts.tracer));
  app.use(securityHeaders());
  if (opts.config.http.corsOrigins.length > 0) {
    app.use(cors({ origin: opts.config.http.corsOrigins, exposedHeaders: ['X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'], maxAge: 600 }));
  }
  app.use(serviceRouter({ metrics: opts.metrics, readiness: opts.readiness }));
  app.use(opsPageRouter());

  app.use('/v1', requireJsonContentType());
  app.use(
    '/v1',
    express.json({
      limit: opts.config.http.bodyLimitBytes,
      strict: true,
      type: () => true,
      // Keep the exact bytes: request signatures cover the body as sent.
      verify: (req, _res, buf) => {
        (req as typeof req & { rawBody?: Buffer }).rawBody = buf;
      },
      reviver: (key, value) => {
        if (FORBIDDEN_KEYS.has(key)) throw new PrototypePollutionError(key);
        return value as unknown;
      },
    }),
  );

  const spec = loadBundledSpec();
  memoizeValidatorRouteLookup();
  const ops = listOperations(spec);
  app.use(
    OpenApiValidator.middleware({
      apiSpec: spec as never,
      validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false },
      validateResponses: opts.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      ignorePaths: (path: string) => !isApiPath(path),
      ignoreUndocumented: false,
    }),
  );
  app.use(reenterRequestContext());
  app.use(operationRouter(ops, opts.handlers, opts.before ?? (() => [])));

  const notFound: RequestHandler = (_req, _res, next) => {
    next(new ApiError({ status: 404, code: 'NOT_FOUND', detail: 'No such route.' }));
  };
  app.use(notFound);
  if (opts.onRefused) app.use('/v1', opts.onRefused);
  app.use(problemHandler(opts.logger));
  return app;
}
