/** A pino logger whose records a test can inspect. */
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';

export interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogger {
  logger: Logger;
  records: LogRecord[];
  /** Records whose message contains `text`. */
  matching(text: string): LogRecord[];
}

export function captureLogs(): CapturedLogger {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, records, matching: (text) => records.filter((r) => r.msg.includes(text)) };
}
