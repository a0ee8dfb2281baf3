/**
 * Structured JSON logs (pino). Secrets and signatures never reach the log. A line written inside
 * a traced span carries its `trace_id` and `span_id`. On a terminal in demo mode the lines go
 * through pino-pretty (a development dependency) so a person can read them; anywhere else — a
 * pipe, a file, a log collector, production — they stay one JSON object a line.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { activeTraceIds } from './tracing.js';

export type { Logger };

const OPTIONS: pino.LoggerOptions = {
  base: { service: 'trading-api' },
  timestamp: pino.stdTimeFunctions.isoTime,
  mixin: activeTraceIds,
  redact: { paths: ['req.headers["x-api-signature"]', 'req.headers.authorization', '*.secret', '*.password'], censor: '[redacted]' },
};

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  // Asynchronous writes keep logging off the request's critical path; pino flushes on exit.
  return pino({ ...OPTIONS, level }, destination ?? pino.destination({ dest: 1, sync: false }));
}

export interface ProcessLoggerOptions { level: string; mode: 'demo' | 'production'; isTty: boolean; pretty?: string }

/** How the process writes its log: `pretty` on a terminal in demo mode when pino-pretty is installed, else `json`. */
export function logFormat(opts: ProcessLoggerOptions, prettyInstalled: () => boolean = hasPinoPretty): 'pretty' | 'json' {
  if (opts.pretty === '0' || opts.pretty === 'false') return 'json';
  if (opts.pretty === '1' || opts.pretty === 'true') return prettyInstalled() ? 'pretty' : 'json';
  return opts.mode === 'demo' && opts.isTty && prettyInstalled() ? 'pretty' : 'json';
}

/** The logger of `npm start`: see logFormat. `LOG_PRETTY=0|1` overrides the choice. */
export function createProcessLogger(opts: ProcessLoggerOptions): Logger {
  if (logFormat(opts) === 'json') return createLogger(opts.level);
  return pino({
    ...OPTIONS,
    level: opts.level,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
  });
}

function hasPinoPretty(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
