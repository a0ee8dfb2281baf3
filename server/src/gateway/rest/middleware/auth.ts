/**
 * Express adapter for the shared verifier: reads the X-API-* headers, the request target and the
 * raw body bytes (`req.rawBody`, captured by express.json's verify hook), and sets
 * `res.locals.principal` or passes an ApiError (AUTH_*) to the error handler.
 */
import type { Request, RequestHandler } from 'express';
import { authApiError, restCanonicalString, type AuthResult, type RequestVerifier, type Scope } from '../../../auth/index.js';

/** Header names of the signed-request scheme (lower-case, as node exposes them). */
export const AUTH_HEADERS = { key: 'x-api-key', timestamp: 'x-api-timestamp', signature: 'x-api-signature', window: 'x-api-window' } as const;

function header(req: Request, name: string): string | undefined {
  // A repeated header is ambiguous about what was signed: treat it as missing. Node joins the
  // repeats of most headers into one string, so count them in headersDistinct.
  if ((req.headersDistinct[name]?.length ?? 0) > 1) return undefined;
  const value: unknown = req.headers[name];
  // The contract validator may already have coerced a numeric header (X-API-Window) to a number.
  if (typeof value === 'number') return String(value);
  // A repeated header is ambiguous about what was signed: treat it as malformed.
  return typeof value === 'string' ? value : undefined;
}

export interface AuthenticateOptions {
  /**
   * Demo mode only: an AUTH_INVALID problem shows the canonical string the server signed, so an
   * integrator can compare it with their own. Never in production: it would help no attacker
   * much, but production answers say as little as possible.
   */
  explainSignatures?: boolean;
}

/** Members an authentication problem adds to help the client fix its request. */
function failureDetails(result: AuthResult & { ok: false }, req: Request, timestamp: string | undefined, rawBody: Buffer | undefined, opts: AuthenticateOptions): Record<string, unknown> | undefined {
  if (result.code === 'AUTH_TIMESTAMP_OUT_OF_WINDOW' && result.serverTime !== undefined) return { serverTime: result.serverTime };
  if (result.code === 'AUTH_INVALID' && opts.explainSignatures && timestamp !== undefined) {
    return { canonicalString: restCanonicalString(timestamp, req.method, req.originalUrl, rawBody ?? '') };
  }
  return undefined;
}

export function authenticate(verifier: RequestVerifier, requiredScope?: Scope, opts: AuthenticateOptions = {}): RequestHandler {
  return (req, res, next) => {
    const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
    const timestamp = header(req, AUTH_HEADERS.timestamp);
    verifier
      .verifyRest({
        credentials: {
          keyId: header(req, AUTH_HEADERS.key),
          timestamp,
          signature: header(req, AUTH_HEADERS.signature),
          window: header(req, AUTH_HEADERS.window),
        },
        method: req.method,
        pathWithQuery: req.originalUrl,
        body: rawBody ?? '',
        ip: req.ip ?? req.socket.remoteAddress ?? '',
        requiredScope,
      })
      .then((result) => {
        if (!result.ok) return next(authApiError(result.code, result.retryAfterSeconds, failureDetails(result, req, timestamp, rawBody, opts)));
        res.locals.principal = result.principal;
        next();
      }, next);
  };
}
