/**
 * Opaque page cursors. A cursor carries the sequence number of the last row returned; the
 * next page continues strictly below it. Clients must treat it as an opaque string.
 */

/** A cursor that was not produced by this store (tampered, truncated, from another API). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

const PREFIX = 'h1.';

export function encodeCursor(seq: number): string {
  return Buffer.from(PREFIX + seq.toString(36), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const digits = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  const seq = /^[0-9a-z]{1,11}$/.test(digits) ? parseInt(digits, 36) : NaN;
  if (!Number.isSafeInteger(seq) || seq < 1 || encodeCursor(seq) !== cursor) throw new InvalidCursorError('invalid cursor');
  return seq;
}
