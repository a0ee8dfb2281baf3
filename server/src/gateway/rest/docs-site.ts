/**
 * Serves the hosted documentation that `npm run generate` renders into generated/docs/:
 *   /docs                   the landing page
 *   /docs/rest              the REST reference (Redoc, scripts inlined)
 *   /docs/websocket         the WebSocket reference (from the AsyncAPI document)
 *   /docs/guides/<slug>     each guide of docs/*.md
 *   /docs/style.css         the stylesheet the landing page and guides share
 *   /docs/market            the live market page
 *   /docs/assets/<file>     the browser code of web/ (the market page, the landing page's status)
 * Every file is read once at start-up: a missing one stops the service there rather than
 * answering 404 later, and nothing is fetched from anywhere else, so the docs work offline.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import { generatedPath } from './spec.js';

/** The hand-written browser code the live pages load, served as it is in the repository. */
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../web');
const ASSET_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Each page gets the narrowest policy that still renders it. */
const POLICY = {
  // Guides: no scripts at all, the one self-served stylesheet.
  site: "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // The landing page (live status) and the market page: their own module scripts, talking only to
  // this service ('self' covers the same host's ws:/wss: too). No inline script or style.
  live: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // Redoc runs its inlined bundle, which needs eval and blob: workers.
  rest: "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  // The WebSocket reference is plain HTML with one inline <style>.
  websocket: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

interface Page { body: Buffer; policy: string }
interface Asset { body: Buffer; type: string }

export interface DocsSite {
  index: Page;
  rest: Page;
  websocket: Page;
  market: Page;
  stylesheet: Buffer;
  guides: Map<string, Page>;
  /** web/*.js and web/*.css by file name. */
  assets: Map<string, Asset>;
}

function loadAssets(dir: string): Map<string, Asset> {
  if (!existsSync(dir)) throw new Error(`The docs site is incomplete: ${dir} (the browser code) is missing.`);
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(dir)) {
    const type = ASSET_TYPES[file.slice(file.lastIndexOf('.'))];
    if (type) assets.set(file, { body: readFileSync(join(dir, file)), type });
  }
  return assets;
}

export function loadDocsSite(dir = generatedPath('docs'), webDir = WEB_DIR): DocsSite {
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
    index: { body: read('index.html'), policy: POLICY.live },
    rest: { body: read('rest.html'), policy: POLICY.rest },
    websocket: { body: read('websocket.html'), policy: POLICY.websocket },
    market: { body: read('market.html'), policy: POLICY.live },
    stylesheet: read('style.css'),
    guides,
    assets: loadAssets(webDir),
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
  router.get('/docs/market', (_req, res) => send(res, site.market));
  router.get('/docs/assets/:file', (req, res, next) => {
    const asset = site.assets.get(req.params.file);
    if (!asset) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.type(asset.type).send(asset.body);
  });
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
