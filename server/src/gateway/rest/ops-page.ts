/**
 * The operator status page, /ops: static HTML, CSS and a script. The page holds no data; its
 * script asks GET /v1/operator/status, signed with an operator key the operator types in, so the
 * page is behind the same operator authentication as the rest of the operator API.
 */
import { readFileSync } from 'node:fs';
import { Router } from 'express';

const FILES = {
  '/ops': ['index.html', 'text/html; charset=utf-8'],
  '/ops/status.js': ['status.js', 'text/javascript; charset=utf-8'],
  '/ops/status.css': ['status.css', 'text/css; charset=utf-8'],
} as const;

/** Its own scripts, styles and API calls only. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export function opsPageRouter(): Router {
  const router = Router();
  for (const [path, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(new URL(`./ops-page/${file}`, import.meta.url));
    router.get(path, (_req, res) => {
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('Cache-Control', 'no-store');
      res.type(type).send(body);
    });
  }
  return router;
}
