/**
 * Serves the TypeScript SDK's API reference that `npm run generate` renders with TypeDoc into
 * generated/docs/sdk/, at /docs/sdk/. The pages run TypeDoc's own scripts (search, navigation,
 * theme), all self-served; the one inline script TypeDoc writes into every page is allowed by
 * its hash, so scripts need no 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { generatedPath } from './spec.js';

export const SDK_REFERENCE_URL = '/docs/sdk/';

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** The CSP hash source of every distinct inline script in the pages. */
function inlineScriptHashes(dir: string): string[] {
  const hashes = new Set<string>();
  for (const file of htmlFiles(dir)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/<script>([\s\S]*?)<\/script>/g)) {
      hashes.add(`'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`);
    }
  }
  return [...hashes].sort();
}

export function sdkReferenceRouter(dir = generatedPath('docs/sdk')): Router {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`The SDK reference is missing: ${dir}/index.html. Run \`npm run generate\`.`);
  const policy = [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(dir).join(' ')}`,
    // TypeDoc's scripts set style attributes (icons, collapsed sections); scripts stay hash-only.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const router = Router();
  router.use('/docs/sdk', (req, res, next) => {
    // Pages link to their assets relatively, so the reference lives under a trailing slash.
    if (req.originalUrl.split('?')[0] === '/docs/sdk') return res.redirect(301, SDK_REFERENCE_URL);
    res.setHeader('Content-Security-Policy', policy);
    res.setHeader('Cache-Control', 'no-cache');
    next();
  }, express.static(dir, { index: 'index.html', redirect: false, dotfiles: 'ignore' }));
  return router;
}
