/**
 * Which requests may be sent again, and after which failures.
 *
 * A request is *idempotent* when repeating it cannot do more than doing it once:
 * - GET, HEAD, OPTIONS read; PUT sets a state; DELETE of one order or key is idempotent in effect
 *   (the repeat finds it already gone: the client resolves that case, see `cancelOrder`);
 * - any request carrying an `Idempotency-Key` (the server replays the first answer);
 * - `POST /v1/orders` with a `clientOrderId`, and a batch whose every order has one, and the
 *   accept of a quote (`POST /v1/rfq/{quoteId}/accept`) with one: the server answers a repeat of
 *   the same body with the original result instead of acting again.
 * PATCH (amend) and other POSTs are not: a repeat could act twice.
 *
 * Failures:
 * - codes the catalog documents as "nothing was done" (RATE_LIMITED, AUTH_UNAVAILABLE,
 *   JOURNAL_UNAVAILABLE) are safe to retry for any request, idempotent or not;
 * - other 5xx, and network errors, are ambiguous (the server may have acted): retried only for
 *   idempotent requests;
 * - AUTH_LOCKED_OUT is a 429 that retrying prolongs: never retried.
 */

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Refusals made before any state changed (docs/errors.md). */
export const UNPROCESSED_CODES: ReadonlySet<string> = new Set(['RATE_LIMITED', 'AUTH_UNAVAILABLE', 'JOURNAL_UNAVAILABLE']);

const NEVER_RETRIED_CODES: ReadonlySet<string> = new Set(['AUTH_LOCKED_OUT']);

export async function isIdempotentRequest(request: Request): Promise<boolean> {
  const method = request.method.toUpperCase();
  if (IDEMPOTENT_METHODS.has(method)) return true;
  if (request.headers.has('Idempotency-Key')) return true;
  if (method !== 'POST' || request.body === null) return false;
  const path = new URL(request.url).pathname;
  const isPlace = path.endsWith('/v1/orders') || /\/v1\/rfq\/[^/]+\/accept$/.test(path);
  const isBatch = path.endsWith('/v1/orders/batch');
  if (!isPlace && !isBatch) return false;
  let body: unknown;
  try {
    body = JSON.parse(await request.clone().text());
  } catch {
    return false;
  }
  const hasClientOrderId = (order: unknown) =>
    typeof order === 'object' && order !== null && typeof (order as { clientOrderId?: unknown }).clientOrderId === 'string';
  if (isPlace) return hasClientOrderId(body);
  const orders = (body as { orders?: unknown } | null)?.orders;
  return Array.isArray(orders) && orders.length > 0 && orders.every(hasClientOrderId);
}

export type FailureKind =
  /** Refused before anything happened: safe to repeat any request. */
  | 'unprocessed'
  /** The server may have acted: repeat only idempotent requests. */
  | 'ambiguous'
  /** The signing timestamp was outside the server's window: recalibrate the clock, then repeat. */
  | 'clock'
  /** Retrying cannot help. */
  | 'final';

/** Classifies a response by status and catalog code (the code is undefined when the body was not a problem). */
export function classifyResponse(status: number, code: string | undefined): FailureKind | undefined {
  if (status < 400) return undefined;
  if (code !== undefined && NEVER_RETRIED_CODES.has(code)) return 'final';
  if (code === 'AUTH_TIMESTAMP_OUT_OF_WINDOW') return 'clock';
  if (code !== undefined && UNPROCESSED_CODES.has(code)) return 'unprocessed';
  // A 429 without our catalog code (a proxy, say) still means "not now".
  if (status === 429) return 'unprocessed';
  if (status >= 500) return 'ambiguous';
  return 'final';
}
