/** Renders every failure as an RFC 9457 problem (`application/problem+json`) from the error catalog. */
import type { ErrorRequestHandler, Response } from 'express';
import { ERROR_BASE_URI, ERROR_CATALOG } from '../../../../generated/error-catalog.js';
import { ApiError } from '../../errors/api-error.js';
import { isForbiddenKeyError } from './json-body.js';
import { CoreUnavailableError, DurabilityError } from '../../sequencer/api.js';
import { coreUnavailableMessage } from '../../order-entry/submit.js';
import type { Logger } from '../../observability/logger.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { location: string; path: string; message: string }[];
  [extra: string]: unknown;
}

/** A Host header we can put in a URI as it is; anything else falls back to localhost. */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/;

/**
 * The problem `type`: the code's entry in the error guide served by the host that answered
 * (`http://<host>/docs/guides/errors#<code>`), so following it lands on documentation.
 */
export function errorTypeUri(code: string, host?: string, protocol = 'http'): string {
  const authority = host !== undefined && PLAIN_HOST.test(host) ? host : 'localhost';
  return `${protocol === 'https' ? 'https' : 'http'}://${authority}${ERROR_BASE_URI}#${code}`;
}

/** Builds the problem body for a catalog code (unknown codes fall back to the given status and a generic title); `type` as errorTypeUri says. */
export function problemFor(code: string, status: number, detail: string, instance?: string, requestId?: string, origin?: { host?: string; protocol?: string }): ProblemBody {
  const entry = (ERROR_CATALOG as Record<string, { title: string; status: number } | undefined>)[code];
  return {
    type: errorTypeUri(code, origin?.host, origin?.protocol),
    title: entry?.title ?? 'Error',
    status,
    code,
    detail,
    ...(instance !== undefined && { instance }),
    ...(requestId !== undefined && { requestId }),
  };
}

export function sendProblem(res: Response, body: ProblemBody): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

interface ValidatorError { status?: number; message?: string; errors?: { path?: string; message?: string }[]; type?: string }

/** The last error handler: ApiError, validator errors, body-parser errors, then anything else as 500. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = String(res.locals.requestId ?? '');
    const instance = req.originalUrl.split('?')[0];
    const origin = { host: req.get('host'), protocol: req.protocol };
    if (res.headersSent) {
      logger.error({ err, requestId }, 'error after response started');
      res.destroy();
      return;
    }
    if (err instanceof ApiError) {
      for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
      sendProblem(res, { ...problemFor(err.code, err.status, err.detail, instance, requestId, origin), ...err.extra });
      return;
    }
    if (err instanceof CoreUnavailableError) {
      res.setHeader('Retry-After', '1');
      return sendProblem(res, problemFor('SERVICE_UNAVAILABLE', 503, coreUnavailableMessage(err), instance, requestId, origin));
    }
    if (err instanceof DurabilityError) {
      // In-memory state may be ahead of the journal: neither writes nor reads are served until restart.
      return sendProblem(res, problemFor('JOURNAL_UNAVAILABLE', 503, 'Trading state is unavailable: the journal cannot be written. Retry after the service restarts.', instance, requestId, origin));
    }
    const e = err as ValidatorError;
    if (e.type === 'entity.parse.failed' && isForbiddenKeyError(err)) return sendProblem(res, problemFor('BODY_KEY_NOT_ALLOWED', 400, `${err.message} __proto__, constructor and prototype are refused as field names.`, instance, requestId, origin));
    if (e.type === 'entity.parse.failed') return sendProblem(res, problemFor('MALFORMED_JSON', 400, 'The request body is not valid JSON.', instance, requestId, origin));
    if (e.type === 'entity.too.large') return sendProblem(res, problemFor('PAYLOAD_TOO_LARGE', 413, 'The request body exceeds the size limit.', instance, requestId, origin));
    if (e.status === 400 && Array.isArray(e.errors)) {
      const body = problemFor('VALIDATION_FAILED', 400, e.message ?? 'Request validation failed', instance, requestId, origin);
      body.errors = e.errors.map((v) => splitValidatorPath(v.path ?? '', v.message ?? 'is invalid'));
      return sendProblem(res, body);
    }
    if (e.status === 404) return sendProblem(res, problemFor('NOT_FOUND', 404, 'No such route.', instance, requestId, origin));
    if (e.status === 405) return sendProblem(res, problemFor('METHOD_NOT_ALLOWED', 405, e.message ?? 'Method not allowed.', instance, requestId, origin));
    if (e.status === 415) return sendProblem(res, problemFor('UNSUPPORTED_MEDIA_TYPE', 415, e.message ?? 'Unsupported media type.', instance, requestId, origin));
    // Response validation failures and programming errors end here: never leak internals.
    logger.error({ err, requestId }, 'unhandled error');
    sendProblem(res, problemFor('INTERNAL_ERROR', 500, 'An unexpected error occurred.', instance, requestId, origin));
  };
}

/** The validator reports paths like `/body/price` or `/query/limit`; split them for the `errors` member. */
function splitValidatorPath(path: string, message: string): { location: string; path: string; message: string } {
  const parts = path.replace(/^\./, '').split(/[/.]/).filter(Boolean);
  const location = parts[0] && ['body', 'query', 'path', 'params', 'headers', 'header'].includes(parts[0]) ? parts.shift()! : 'body';
  const normalized = location === 'params' ? 'path' : location === 'headers' ? 'header' : location;
  return { location: normalized, path: parts.join('.'), message };
}
