/**
 * Errors the SDK throws. Every refusal from the server, REST problem details or a WebSocket error
 * frame alike, becomes one `ApiError` carrying the catalog's stable `code`.
 */
import type { components } from '../../generated/openapi.js';
import type { ErrorFrame } from '../../generated/asyncapi.js';

export type Problem = components['schemas']['Problem'];

export interface FieldError {
  /** `path`, `query`, `header` or `body` on REST; absent on WebSocket (the path is a JSON pointer there). */
  location?: string;
  path: string;
  message: string;
}

export interface ApiErrorInit {
  status: number;
  code: string;
  title?: string | undefined;
  detail?: string | undefined;
  requestId?: string | undefined;
  retryAfter?: number | undefined;
  errors?: FieldError[] | undefined;
  instance?: string | undefined;
  /** The request id of a WebSocket request (distinct from the server's `requestId` on REST). */
  wsRequestId?: string | number | null | undefined;
}

/** A request the server refused. `code` is the stable error-catalog code (docs/errors.md). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status (on WebSocket: the status REST would have used). */
  readonly status: number;
  readonly code: string;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  /** REST: the `X-Request-Id` of the failed request, to quote to support. */
  readonly requestId: string | undefined;
  /** Seconds the server asked to wait (`Retry-After`, or `retryAfterSeconds` on WebSocket). */
  readonly retryAfter: number | undefined;
  readonly errors: FieldError[] | undefined;
  readonly instance: string | undefined;
  readonly wsRequestId: string | number | null | undefined;

  constructor(init: ApiErrorInit) {
    super(`${init.status} ${init.code}${init.detail ? `: ${init.detail}` : ''}`);
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.errors = init.errors;
    this.instance = init.instance;
    this.wsRequestId = init.wsRequestId;
  }

  /** From a REST error response and its already-parsed body (problem details, or anything else a proxy sent). */
  static fromResponse(response: Response, body: unknown): ApiError {
    const problem = isProblem(body) ? body : undefined;
    return new ApiError({
      status: response.status,
      code: problem?.code ?? codeForStatus(response.status),
      title: problem?.title ?? (response.statusText || undefined),
      detail: problem?.detail ?? (typeof body === 'string' && body !== '' ? body.slice(0, 500) : undefined),
      requestId: problem?.requestId ?? response.headers.get('X-Request-Id') ?? undefined,
      retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
      errors: problem?.errors,
      instance: problem?.instance,
    });
  }

  static fromErrorFrame(frame: ErrorFrame): ApiError {
    return new ApiError({
      status: frame.status,
      code: frame.code,
      detail: frame.message,
      retryAfter: frame.retryAfterSeconds,
      errors: frame.errors,
      wsRequestId: frame.id,
    });
  }
}

/** The request could not be completed on the connection (closed, timed out, or never sent). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  /**
   * True when the request was written to the socket before the failure, so the server may have
   * acted on it (query an order by its client order id to find out).
   */
  readonly maybeDelivered: boolean;

  constructor(message: string, maybeDelivered: boolean) {
    super(message);
    this.maybeDelivered = maybeDelivered;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).code === 'string' && typeof (body as Problem).status === 'number';
}

/** A code for a response without a problem body (for example from a proxy in front of the service). */
function codeForStatus(status: number): string {
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  if (status === 404) return 'NOT_FOUND';
  if (status >= 500) return 'INTERNAL_ERROR';
  return `HTTP_${status}`;
}

/** `Retry-After` as seconds: delta-seconds, or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
