/**
 * Serves the hosted documentation that `npm run generate` renders into generated/docs/:
 *   /docs                   the landing page
 *   /docs/rest              the REST reference (Redoc, scripts inlined)
 *   /docs/websocket         the WebSocket reference (from the AsyncAPI document)
 *   /docs/guides/<slug>     each guide of docs/*.md
 *   /docs/style.css         the stylesheet the landing page and guides share
 * Every file is read once at start-up: a missing one stops the service there rather than
 * answering 404 later, and nothing is fetched from anywhere else, so the docs work offline.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Response } from 'express';
import { generatedPath } from './spec.js';

/** Each page gets the narrowest policy that still renders it. */
const POLICY = {
  // Landing page and guides: no scripts at all, the one self-served stylesheet.
  site: "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // Redoc runs its inlined bundle, which needs eval and blob: workers.
  rest: "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  // The WebSocket reference is plain HTML with one inline <style>.
  websocket: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

interface Page { body: Buffer; policy: string }

export interface DocsSite {
  index: Page;
  rest: Page;
  websocket: Page;
  stylesheet: Buffer;
  guides: Map<string, Page>;
}

export function loadDocsSite(dir = generatedPath('docs')): DocsSite {
  const read = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`The docs site is incomplete: ${path} is missing. Run \`npm run generate\`.`);
    return readFileSync(path);
  };
  const guides = new Map<string, Page>();
  const guidesDir = join(dir, 'guides');
  if (existsSync(guidesDir)) {
    for (const file of readdirSync(guidesDir).filter((f) => f.endsWith('.html'))) {
      guides.set(file.slice(0, -'.html'.length), { body: read(join('guides', file)), policy: POLICY.site });
    }
  }
  return {
    index: { body: read('index.html'), policy: POLICY.site },
    rest: { body: read('rest.html'), policy: POLICY.rest },
    websocket: { body: read('websocket.html'), policy: POLICY.websocket },
    stylesheet: read('style.css'),
    guides,
  };
}

function send(res: Response, page: Page): void {
  res.setHeader('Content-Security-Policy', page.policy);
  res.setHeader('Cache-Control', 'no-cache');
  res.type('html').send(page.body);
}

export function docsRouter(site: DocsSite = loadDocsSite()): Router {
  const router = Router();
  router.get(['/docs', '/docs/'], (_req, res) => send(res, site.index));
  router.get('/docs/rest', (_req, res) => send(res, site.rest));
  router.get('/docs/websocket', (_req, res) => send(res, site.websocket));
  router.get('/docs/style.css', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('css').send(site.stylesheet);
  });
  router.get('/docs/guides/:slug', (req, res) => {
    const page = site.guides.get(req.params.slug);
    if (page) return send(res, page);
    res.status(404).setHeader('Content-Security-Policy', POLICY.site);
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found — Trading API docs</title><link rel="stylesheet" href="/docs/style.css"></head><body><main><h1>No such guide</h1><p><a href="/docs">All guides</a></p></main></body></html>`);
  });
  return router;
}
