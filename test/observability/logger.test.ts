import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/src/observability/logger.js';

/** A destination that keeps each JSON line written to it. */
function memoryDestination() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes one JSON line per entry with the service name and an ISO time', () => {
    const { lines, stream } = memoryDestination();
    createLogger('info', stream).info({ orderId: 7 }, 'order placed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'trading-api', orderId: 7, msg: 'order placed', level: 30 });
    expect(new Date(String(lines[0]!.time)).toISOString()).toBe(lines[0]!.time);
  });

  it('never writes signatures, authorization headers, secrets or passwords', () => {
    const { lines, stream } = memoryDestination();
    createLogger('info', stream).info({
      req: { headers: { 'x-api-signature': 'sig-value', authorization: 'Bearer token-value', 'x-api-key': 'key-id' } },
      key: { secret: 'secret-value' },
      user: { password: 'password-value' },
    }, 'request');
    const text = JSON.stringify(lines);
    for (const hidden of ['sig-value', 'token-value', 'secret-value', 'password-value']) expect(text).not.toContain(hidden);
    expect(text).toContain('key-id');
    expect(text).toContain('[redacted]');
  });

  it('drops entries below its level', () => {
    const { lines, stream } = memoryDestination();
    const logger = createLogger('warn', stream);
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});
