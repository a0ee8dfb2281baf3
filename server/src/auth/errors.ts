/**
 * Authentication failure codes: stable strings shared by REST problem details, WebSocket error
 * frames and FIX Logout texts. AUTH_INVALID deliberately covers unknown, revoked and expired
 * keys as well as bad signatures, so a response never tells whether a key id exists.
 */
import { ApiError } from '../errors/api-error.js';

export interface AuthErrorEntry {
  code: string;
  status: number;
  title: string;
  description: string;
}

export const AUTH_ERROR_CATALOG = {
  AUTH_MISSING: {
    code: 'AUTH_MISSING',
    status: 401,
    title: 'Authentication required',
    description: 'The request lacks X-API-Key, X-API-Timestamp or X-API-Signature, or one of them (or X-API-Window) is malformed.',
  },
  AUTH_INVALID: {
    code: 'AUTH_INVALID',
    status: 401,
    title: 'Invalid credentials',
    description: 'The key is unknown, revoked or expired, or the signature does not match the canonical string. The cases are not distinguished.',
  },
  AUTH_TIMESTAMP_OUT_OF_WINDOW: {
    code: 'AUTH_TIMESTAMP_OUT_OF_WINDOW',
    status: 401,
    title: 'Timestamp outside the accepted window',
    description: 'X-API-Timestamp differs from the server clock by more than the window (default 5000 ms, or the narrower X-API-Window).',
  },
  AUTH_REPLAYED: {
    code: 'AUTH_REPLAYED',
    status: 401,
    title: 'Request replayed',
    description: 'An identical signed request (same key and signature) was already accepted inside the window.',
  },
  AUTH_IP_NOT_ALLOWED: {
    code: 'AUTH_IP_NOT_ALLOWED',
    status: 403,
    title: 'Source address not allowed',
    description: "The client's IP address is not in the key's allowlist.",
  },
  AUTH_SCOPE_MISSING: {
    code: 'AUTH_SCOPE_MISSING',
    status: 403,
    title: 'Scope missing',
    description: 'The key is valid but lacks the scope (read, trade or operator) the operation needs.',
  },
  AUTH_LOCKED_OUT: {
    code: 'AUTH_LOCKED_OUT',
    status: 429,
    title: 'Too many failed authentication attempts',
    description: 'Repeated failures from this address or for this key started a lockout that doubles on each repeat; retry after Retry-After seconds.',
  },
  AUTH_UNAVAILABLE: {
    code: 'AUTH_UNAVAILABLE',
    status: 503,
    title: 'Authentication temporarily unavailable',
    description: 'The replay cache is full or its store failed; the request was refused rather than accepted without replay protection.',
  },
} as const satisfies Record<string, AuthErrorEntry>;

export type AuthErrorCode = keyof typeof AUTH_ERROR_CATALOG;

/** Builds the ApiError a gateway raises for an authentication failure; `extra` adds problem members. */
export function authApiError(code: AuthErrorCode, retryAfterSeconds?: number, extra?: Record<string, unknown>): ApiError {
  const entry = AUTH_ERROR_CATALOG[code];
  const headers: Record<string, string> = {};
  if (entry.status === 401) headers['WWW-Authenticate'] = 'X-API-Signature realm="api"';
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  return new ApiError({
    status: entry.status,
    code,
    detail: entry.description,
    headers,
    ...(retryAfterSeconds !== undefined || extra !== undefined ? { extra: { ...extra, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) } } : {}),
  });
}
