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
    destination,
  );
}
