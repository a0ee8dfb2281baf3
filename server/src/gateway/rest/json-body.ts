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

/** Thrown by the JSON reviver; becomes 400 BODY_KEY_NOT_ALLOWED. */
export class PrototypePollutionError extends Error {
  readonly type = 'entity.parse.failed';
  readonly code = 'BODY_KEY_NOT_ALLOWED';
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
