/**
 * Security header fields. API responses (/v1) are JSON read by programs, so they carry the short
 * set that matters for an API (the OWASP REST recommendations) rather than the full set for HTML
 * pages: never cache (responses hold account data), never sniff, frame or render, and stay on
 * HTTPS. Fewer fields is also measurably less work per request. The HTML pages (/docs) keep
 * helmet's full set, with a policy that allows their own scripts and styles.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-site',
});

export function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

export function securityHeaders(): RequestHandler {
  const entries = Object.entries(API_SECURITY_HEADERS);
  const pages = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }, crossOriginResourcePolicy: { policy: 'same-site' } });
  return (req, res, next) => {
    if (!isApiPath(req.path)) return pages(req, res, next);
    for (const [name, value] of entries) res.setHeader(name, value);
    next();
  };
}
