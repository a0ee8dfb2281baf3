/**
 * The docs site: Markdown rendering, the links between its pages (every one must land on a page
 * and an anchor that exist), and the router that serves it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { groupGuides, headingSlug, loadSiteGuides, renderMarkdown, rewriteHref } from '../../scripts/codegen/docs-site.js';
import { docsRouter, loadDocsSite, type DocsSite } from '../../server/src/gateway/rest/docs-site.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('rendering a guide', () => {
  const slugs = new Set(['authentication', 'errors']);

  it('gives headings GitHub’s anchors, numbering repeats', () => {
    expect(headingSlug('Keeping a local order book correct')).toBe('keeping-a-local-order-book-correct');
    expect(headingSlug('NewOrderSingle (D) — in')).toBe('newordersingle-d--in');
    expect(headingSlug('The `Deprecation` and `Sunset` headers')).toBe('the-deprecation-and-sunset-headers');
    const { html, headings } = renderMarkdown('# Title\n\n## Limits\n\ntext\n\n## Limits\n', slugs);
    expect(headings.map((h) => h.id)).toEqual(['title', 'limits', 'limits-1']);
    expect(html).toContain('<h2 id="limits-1">');
  });

  it('turns links between guides into links between pages, and keeps other targets', () => {
    expect(rewriteHref('authentication.md#lockout', slugs)).toBe('/docs/guides/authentication#lockout');
    expect(rewriteHref('./errors.md', slugs)).toBe('/docs/guides/errors');
    expect(rewriteHref('https://www.rfc-editor.org/rfc/rfc9457', slugs)).toBe('https://www.rfc-editor.org/rfc/rfc9457');
    expect(rewriteHref('#local', slugs)).toBe('#local');
    expect(rewriteHref('/docs/rest', slugs)).toBe('/docs/rest');
    expect(rewriteHref('missing.md', slugs)).toBeUndefined();
    expect(rewriteHref('../api-spec/fix/FIX44-subset.xml', slugs)).toBeUndefined();
    expect(rewriteHref('../sdk/README.md#install', new Set(['typescript-sdk']))).toBe('/docs/guides/typescript-sdk#install');
  });

  it('keeps the words of a link to a file outside the site, without a dead link', () => {
    const { html } = renderMarkdown('See [the dictionary](../api-spec/fix/FIX44-subset.xml).', slugs);
    expect(html).toContain('<span class="repo-file" title="In the repository: api-spec/fix/FIX44-subset.xml">the dictionary</span>');
    expect(html).not.toMatch(/href="[^"]*FIX44/);
  });

  it('labels a tested sample and leaves other comments out of the page', () => {
    const { html } = renderMarkdown('<!-- sample: hello -->\n```sh\necho hi\n```\n\n<!-- a note -->\n', slugs);
    expect(html).toMatch(/<p class="sample-note">Tested sample <code>hello<\/code>/);
    expect(html).toContain('<code class="language-sh">echo hi\n</code>');
  });

  it('places every guide in one group, quickstart first', () => {
    const groups = groupGuides(loadSiteGuides(ROOT));
    const placed = groups.flatMap((g) => g.guides.map((guide) => guide.slug));
    expect(placed.sort()).toEqual(loadSiteGuides(ROOT).map((g) => g.slug).sort());
    expect(groups.find((g) => g.title === 'More')).toBeUndefined();
    expect(groups[0]!.guides[0]!.slug).toBe('quickstart');
  });
});

describe('links across the generated site', () => {
  const site = loadDocsSite();
  const pages = new Map<string, string>([
    ['/docs', site.index.body.toString('utf8')],
    ['/docs/websocket', site.websocket.body.toString('utf8')],
    ['/docs/market', site.market.body.toString('utf8')],
    ...[...site.guides.entries()].map(([slug, page]) => [`/docs/guides/${slug}`, page.body.toString('utf8')] as [string, string]),
  ]);
  const operationIds = new Set(
    Object.values(JSON.parse(readFileSync(join(ROOT, 'generated/openapi.json'), 'utf8')).paths as Record<string, Record<string, { operationId?: string }>>).flatMap((item) =>
      Object.values(item).flatMap((op) => (op?.operationId ? [op.operationId] : [])),
    ),
  );
  const ids = (html: string) => new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')));

  it('every guide in docs/ has its page', () => {
    expect([...site.guides.keys()].sort()).toEqual(loadSiteGuides(ROOT).map((g) => g.slug).sort());
  });

  it('publishes the TypeScript SDK user guide (sdk/README.md), apart from the maintainers\' notes', () => {
    const guide = site.guides.get('typescript-sdk')?.body.toString('utf8') ?? '';
    expect(guide).toContain('cd sdk &amp;&amp; npm pack');
    expect(guide).toContain('placeOrder');
    expect(site.guides.get('sdk')?.body.toString('utf8')).toMatch(/<h1[^>]*>TypeScript SDK internals \(for maintainers\)/);
  });

  for (const [from, html] of pages) {
    if (from === '/docs/websocket') continue; // its own links are checked by its generator's tests
    it(`every link on ${from} lands on a page and an anchor that exist`, () => {
      const broken: string[] = [];
      for (const [, raw] of html.matchAll(/<a [^>]*href="([^"]*)"/g)) {
        const href = raw!.replace(/&amp;/g, '&');
        if (/^(https?:|mailto:)/.test(href)) continue;
        const [path = '', fragment] = href.split('#', 2);
        const target = path === '' ? from : path;
        if (target === '/openapi.json' || target === '/openapi.yaml') continue;
        if (target.startsWith('/docs/sdk/')) {
          // The TypeDoc reference: a file of generated/docs/sdk/ (its own links are TypeDoc's).
          const file = join(ROOT, 'generated/docs/sdk', target.slice('/docs/sdk/'.length) || 'index.html');
          if (!existsSync(file)) broken.push(href);
          continue;
        }
        if (target === '/docs/rest') {
          if (fragment && !operationIds.has(fragment.replace(/^operation\//, ''))) broken.push(href);
          continue;
        }
        const page = pages.get(target);
        if (page === undefined) broken.push(href);
        else if (fragment && !ids(page).has(decodeURIComponent(fragment))) broken.push(href);
      }
      expect(broken).toEqual([]);
    });
  }
});

describe('serving the site', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function fixtureSite(): DocsSite {
    const dir = mkdtempSync(join(tmpdir(), 'docs-site-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'guides'));
    writeFileSync(join(dir, 'index.html'), '<h1>landing</h1>');
    writeFileSync(join(dir, 'rest.html'), '<h1>rest</h1>');
    writeFileSync(join(dir, 'websocket.html'), '<h1>ws</h1>');
    writeFileSync(join(dir, 'style.css'), 'body{}');
    writeFileSync(join(dir, 'market.html'), '<h1>market</h1>');
    writeFileSync(join(dir, 'guides/quickstart.html'), '<h1>quickstart</h1>');
    const web = join(dir, 'web');
    mkdirSync(web);
    writeFileSync(join(web, 'live.js'), 'export {};');
    writeFileSync(join(web, 'live.css'), 'main{}');
    writeFileSync(join(web, 'tsconfig.json'), '{}');
    return loadDocsSite(dir, web);
  }

  const app = express().use(docsRouter(fixtureSite()));

  it('serves the landing page at /docs and /docs/, the references and the guides', async () => {
    for (const [path, text] of [['/docs', 'landing'], ['/docs/', 'landing'], ['/docs/rest', 'rest'], ['/docs/websocket', 'ws'], ['/docs/market', 'market'], ['/docs/guides/quickstart', 'quickstart']]) {
      const res = await request(app).get(path!).expect(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expect(res.text, path).toBe(`<h1>${text}</h1>`);
    }
    const css = await request(app).get('/docs/style.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves the browser code of web/ (scripts and styles only) under /docs/assets', async () => {
    const js = await request(app).get('/docs/assets/live.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toBe('export {};');
    expect((await request(app).get('/docs/assets/live.css').expect(200)).headers['content-type']).toMatch(/^text\/css/);
    await request(app).get('/docs/assets/tsconfig.json').expect(404);
    await request(app).get('/docs/assets/..%2Fmarket.html').expect(404);
  });

  it('allows scripts only where a page needs them, never inline except Redoc, and nothing from another origin anywhere', async () => {
    for (const path of ['/docs/guides/quickstart', '/docs/websocket']) {
      const policy = (await request(app).get(path)).headers['content-security-policy'] as string;
      expect(policy, path).toMatch(/default-src 'none'/);
      expect(policy, path).not.toMatch(/script-src/);
      expect(policy, path).not.toMatch(/https?:/);
    }
    // The live pages (landing status, market): their own module scripts, talking to this service only.
    for (const path of ['/docs', '/docs/market']) {
      const policy = (await request(app).get(path)).headers['content-security-policy'] as string;
      expect(policy, path).toMatch(/default-src 'none'/);
      expect(policy, path).toMatch(/script-src 'self';/);
      expect(policy, path).toMatch(/connect-src 'self';/);
      expect(policy, path).not.toMatch(/unsafe|https?:|wss?:/);
    }
    const rest = (await request(app).get('/docs/rest')).headers['content-security-policy'] as string;
    expect(rest).toMatch(/script-src 'self' 'unsafe-inline'/);
    expect(rest).toMatch(/connect-src 'self'/);
    expect(rest).not.toMatch(/https?:/);
  });

  it('answers 404 for a guide that does not exist', async () => {
    await request(app).get('/docs/guides/nope').expect(404);
    await request(app).get('/docs/guides/..%2Frest').expect(404);
  });

  it('refuses to start when a page of the site is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-site-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'index.html'), 'x');
    expect(() => loadDocsSite(dir)).toThrow(/rest\.html is missing\. Run `npm run generate`/);
  });
});
