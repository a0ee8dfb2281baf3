/**
 * The one rule for request bodies on /v1: a request that carries a body must say it is JSON
 * (`application/json` or another `+json` type) — any other type, or none, is 415
 * UNSUPPORTED_MEDIA_TYPE before a byte is parsed, whatever the body holds. A JSON body that
 * uses a field name able to reach Object.prototype is refused with its own code.
 */
import type { RequestHandler } from 'express';
import { ApiError } from '../../errors/api-error.js';

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** Field names refused anywhere in a body: a later merge could make them reach Object.prototype. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const FORBIDDEN_KEY_MESSAGE = /^Field "(__proto__|constructor|prototype)" is not allowed\.$/;

/**
 * Thrown by the JSON reviver; becomes 400 BODY_KEY_NOT_ALLOWED. The body parser re-wraps what the
 * reviver throws as a SyntaxError keeping only the message, so the message is what identifies it.
 */
export class PrototypePollutionError extends Error {
  readonly type = 'entity.parse.failed';
  constructor(key: string) {
    super(`Field "${key}" is not allowed.`);
  }
}

/** Whether a body-parser failure came from a forbidden field name. */
export function isForbiddenKeyError(err: unknown): err is Error {
  return err instanceof Error && FORBIDDEN_KEY_MESSAGE.test(err.message);
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return typeof length === 'string' && length !== '0';
}

export function requireJsonContentType(): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req.headers)) return next();
    const type = req.headers['content-type'];
    if (type !== undefined && JSON_TYPE.test(type)) return next();
    next(new ApiError({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: type === undefined ? 'The request has a body but no Content-Type; send it as application/json.' : `Request bodies must be application/json, not ${type.split(';')[0]!.trim()}.`,
    }));
  };
}
