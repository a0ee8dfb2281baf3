/**
 * Structured JSON logs (pino). Secrets and signatures never reach the log. A line written inside
 * a traced span carries its `trace_id` and `span_id`.
 */
import { pino, type Logger } from 'pino';
import { activeTraceIds } from './tracing.js';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'trading-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: activeTraceIds,
      redact: { paths: ['req.headers["x-api-signature"]', 'req.headers.authorization', '*.secret', '*.password'], censor: '[redacted]' },
    },
    // Asynchronous writes keep logging off the request's critical path; pino flushes on exit.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
