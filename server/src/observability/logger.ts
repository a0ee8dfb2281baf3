/** Structured JSON logs (pino). Secrets and signatures never reach the log. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'trading-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers["x-api-signature"]', 'req.headers.authorization', '*.secret', '*.password'], censor: '[redacted]' },
    },
    // Asynchronous writes keep logging off the request's critical path; pino flushes on exit.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
