/**
 * Builds the frames the server sends in answer to requests: replies and error frames, in the
 * contract's shapes, from the shared ApiError and rate-limit usage.
 */
import type { ErrorFrame, RateLimitUsage, RequestId } from '../../../../generated/asyncapi.js';
import { ERROR_CATALOG, type ErrorCode } from '../../../../generated/error-catalog.js';
import { ApiError } from '../../errors/api-error.js';
import type { RateLimitUsage as LimiterUsage } from '../../limits/index.js';
import { CoreUnavailableError, DurabilityError } from '../../sequencer/api.js';
import { coreUnavailableMessage } from '../../order-entry/submit.js';
import type { FieldError } from './contract.js';

/** The limiter's usage record in the contract's shape (REST's `RateLimitUsage`). */
export function usageOf(usage: readonly LimiterUsage[]): RateLimitUsage[] {
  return usage.map((u) => ({ policy: u.policy, limit: u.limit, windowSeconds: u.windowSeconds, remaining: u.remaining, resetSeconds: u.reset }));
}

/** An ApiError for a catalog code, with the catalog's status. */
export function catalogError(code: ErrorCode, detail: string, extra?: Record<string, unknown>): ApiError {
  return new ApiError({ status: ERROR_CATALOG[code].status, code, detail, ...(extra && { extra }) });
}

export function validationError(errors: readonly FieldError[]): ApiError {
  const first = errors[0]!;
  return catalogError('VALIDATION_FAILED', `${first.path} ${first.message}`, { errors });
}

/** Any thrown value as the ApiError to report: unexpected errors become INTERNAL_ERROR. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  // A read of the core after durability failed (order entry maps its own submits the same way).
  if (error instanceof CoreUnavailableError) return catalogError('SERVICE_UNAVAILABLE', coreUnavailableMessage(error));
  if (error instanceof DurabilityError) return catalogError('JOURNAL_UNAVAILABLE', 'New state cannot be made durable right now; nothing was changed.');
  return catalogError('INTERNAL_ERROR', 'An unexpected error occurred while handling the request.');
}

export interface ErrorContext {
  id: RequestId | null;
  op?: string | undefined;
  usage?: readonly LimiterUsage[] | undefined;
}

export function errorFrame(error: ApiError, context: ErrorContext): ErrorFrame {
  const retryAfter = error.extra?.retryAfterSeconds;
  const fieldErrors = error.extra?.errors as FieldError[] | undefined;
  return {
    type: 'error',
    id: context.id,
    ...(context.op !== undefined && { op: context.op }),
    code: error.code,
    status: error.status,
    message: error.detail,
    ...(fieldErrors !== undefined && { errors: fieldErrors.map((e) => ({ path: e.path, message: e.message })) }),
    ...(typeof retryAfter === 'number' && { retryAfterSeconds: retryAfter }),
    ...(context.usage !== undefined && { rateLimit: usageOf(context.usage) }),
  };
}
