/**
 * The one error shape every gateway layer raises for a client-visible failure. REST turns it
 * into an RFC 9457 problem (status, `code`, `detail`, extra members), WebSocket into an error
 * frame, FIX into a Reject/Logout text; `headers` carries e.g. Retry-After or RateLimit fields.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** Stable machine-readable code, e.g. `AUTH_INVALID`; never renamed once published. */
  readonly code: string;
  /** Human-readable explanation specific to this occurrence. */
  readonly detail: string;
  /** Response header fields to send with the error (names as written on the wire). */
  readonly headers?: Record<string, string>;
  /** Extra members for the problem body (e.g. `retryAfterSeconds`). */
  readonly extra?: Record<string, unknown>;

  constructor(init: { status: number; code: string; detail: string; headers?: Record<string, string>; extra?: Record<string, unknown> }) {
    super(`${init.code}: ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    if (init.headers) this.headers = init.headers;
    if (init.extra) this.extra = init.extra;
  }
}
