/**
 * Per-request bookkeeping: the request id (echoed from the client when well-formed), one structured
 * log line per request, and the Prometheus request counter and latency histogram.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../observability/logger.js';
import type { HttpMetrics } from '../../observability/metrics.js';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The operation name of a request that matched no operation: one metrics label, the default weight. */
export const UNMATCHED_OPERATION = 'unmatched';

export function requestContext(logger: Logger, metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    const requestId = offered && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Unmatched paths share one label so that scanners cannot blow up metric cardinality.
      const labels = { operation: String(res.locals.operationId ?? UNMATCHED_OPERATION), method: req.method, status: String(res.statusCode) };
      metrics.requests.inc(labels);
      metrics.latency.observe(labels, seconds);
      logger.info(
        { requestId, method: req.method, path: req.path, operation: labels.operation, status: res.statusCode, ms: Math.round(seconds * 1e6) / 1e3, ip: req.ip, keyId: res.locals.principal?.keyId },
        'request',
      );
    });
    next();
  };
}
