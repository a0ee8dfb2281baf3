/**
 * Opaque cursors: base64url JSON of the position after the last item served. Clients must treat
 * them as opaque; a tampered or foreign cursor is a validation error, never a crash.
 */
import { ApiError } from '../../errors/api-error.js';

export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The one answer to a cursor this server did not issue (or that a client altered). */
export function invalidCursorError(): ApiError {
  return new ApiError({ status: 400, code: 'VALIDATION_FAILED', detail: 'The cursor is not one this server issued.', extra: { errors: [{ location: 'query', path: 'cursor', message: 'is not a valid cursor' }] } });
}

export function decodeCursor<T extends Record<string, string | number>>(cursor: string | undefined, keys: { [K in keyof T]: 'string' | 'number' }): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const ok = typeof parsed === 'object' && parsed !== null && Object.entries(keys).every(([k, kind]) => typeof (parsed as Record<string, unknown>)[k] === kind);
  if (!ok) throw invalidCursorError();
  return parsed as T;
}

/** Serves one page of an already-sorted list, resuming after `afterKey`. */
export function pageAfter<T>(items: readonly T[], keyOf: (item: T) => string, afterKey: string | undefined, limit: number): { data: T[]; nextKey: string | null } {
  const start = afterKey === undefined ? 0 : items.findIndex((i) => keyOf(i) > afterKey);
  const from = start < 0 ? items.length : start;
  const data = items.slice(from, from + limit);
  const more = from + limit < items.length;
  return { data, nextKey: more && data.length > 0 ? keyOf(data[data.length - 1]!) : null };
}
