/**
 * The hosted documentation site, rendered at `npm run generate` time so the server only serves
 * static files:
 *   generated/docs/index.html           the landing page (/docs)
 *   generated/docs/guides/<slug>.html   every docs/*.md as a page (/docs/guides/<slug>)
 *   generated/docs/style.css            the one stylesheet (self-served: no CDN, works offline)
 * The REST (rest.html) and WebSocket (websocket.html) references beside them come from their own
 * generators. Links between guides (`errors.md#CODE`) become links between pages.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Marked, type Tokens } from 'marked';

/** Where the server mounts what this module writes; the links in the pages depend on it. */
export const DOCS_BASE = '/docs';
export const guideUrl = (slug: string) => `${DOCS_BASE}/guides/${slug}`;

/** How the landing page and the sidebar group the guides; a guide not named here goes under "More". */
export const GUIDE_GROUPS: readonly { title: string; slugs: readonly string[] }[] = [
  { title: 'Get started', slugs: ['quickstart', 'trading-api', 'typescript-sdk', 'python-sdk', 'live-market'] },
  { title: 'Essentials', slugs: ['authentication', 'rate-limits', 'errors', 'trading-rules'] },
  { title: 'Streaming, FIX and OTC', slugs: ['websocket', 'fix-rules-of-engagement', 'otc-rfq'] },
  { title: 'Releases', slugs: ['versioning', 'changelog'] },
  { title: 'Running and developing the platform', slugs: ['operations', 'architecture', 'sdk', 'benchmarks'] },
];

/** The marker before a fenced block that test/docs/samples.test.ts runs against a live server. */
export const SAMPLE_MARKER = /^<!--\s*sample:\s*([a-z0-9][a-z0-9-]*)\s*-->\s*$/;

export interface Guide { slug: string; title: string; markdown: string }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** GitHub's heading anchors, so `authentication.md#lockout` links work here as they do there. */
export function headingSlug(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * User guides that live beside their package rather than in docs/ (each package ships its
 * README), published on the site under a slug of their own. Links to the file become links to the page.
 */
export const PACKAGE_GUIDES: readonly { slug: string; file: string }[] = [
  { slug: 'typescript-sdk', file: 'sdk/README.md' },
  { slug: 'python-sdk', file: 'sdk-python/README.md' },
];

/** docs/*.md and the package guides that exist: everything the site publishes as a guide. */
export function loadSiteGuides(root: string): Guide[] {
  const packaged = PACKAGE_GUIDES.filter((p) => existsSync(join(root, p.file))).map((p) => {
    const markdown = readFileSync(join(root, p.file), 'utf8');
    return { slug: p.slug, title: /^# +(.+?) *$/m.exec(markdown)?.[1] ?? p.slug, markdown };
  });
  return [...loadGuides(join(root, 'docs')), ...packaged].sort((a, b) => (a.slug < b.slug ? -1 : 1));
}

export function loadGuides(docsDir: string): Guide[] {
  return readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => {
      const markdown = readFileSync(join(docsDir, f), 'utf8');
      const slug = f.slice(0, -'.md'.length);
      const title = /^# +(.+?) *$/m.exec(markdown)?.[1] ?? slug;
      return { slug, title, markdown };
    });
}

/** The guides in reading order, grouped as GUIDE_GROUPS says. */
export function groupGuides(guides: readonly Guide[]): { title: string; guides: Guide[] }[] {
  const bySlug = new Map(guides.map((g) => [g.slug, g]));
  const placed = new Set<string>();
  const groups = GUIDE_GROUPS.map((group) => ({
    title: group.title,
    guides: group.slugs.flatMap((slug) => {
      const g = bySlug.get(slug);
      if (!g) return [];
      placed.add(slug);
      return [g];
    }),
  }));
  const rest = guides.filter((g) => !placed.has(g.slug));
  if (rest.length > 0) groups.push({ title: 'More', guides: rest });
  return groups.filter((g) => g.guides.length > 0);
}

/**
 * Where a link written in a guide points on the site: another guide (`errors.md#X`) becomes its
 * page; a file elsewhere in the repository (`../api-spec/...`) is not served, so it has no target.
 */
export function rewriteHref(href: string, slugs: ReadonlySet<string>): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('/')) return href;
  const [file = '', fragment] = href.split('#', 2);
  const packaged = PACKAGE_GUIDES.find((p) => file.replace(/^(\.\.?\/)+/, '') === p.file);
  if (packaged && slugs.has(packaged.slug)) return guideUrl(packaged.slug) + (fragment !== undefined ? `#${fragment}` : '');
  const m = /^(?:\.\/)?(?:docs\/)?([\w-]+)\.md(#.*)?$/.exec(href);
  if (m && slugs.has(m[1]!)) return guideUrl(m[1]!) + (m[2] ?? '');
  return undefined;
}

export interface RenderedGuide { html: string; headings: { depth: number; id: string; text: string }[] }

/** One guide's Markdown as HTML (the page body only). */
export function renderMarkdown(markdown: string, slugs: ReadonlySet<string>): RenderedGuide {
  const headings: RenderedGuide['headings'] = [];
  const used = new Map<string, number>();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    walkTokens(token) {
      if (token.type === 'link') {
        const link = token as Tokens.Link;
        const target = rewriteHref(link.href, slugs);
        if (target === undefined) {
          // Keep the words; say where the file lives instead of linking to nothing.
          link.title = `In the repository: ${link.href.replace(/^(\.\.\/)+/, '')}`;
          link.href = '';
        } else {
          link.href = target;
        }
      }
    },
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const text = this.parser.parseInline(tokens, this.parser.textRenderer);
        const base = headingSlug(unescapeEntities(text));
        const n = used.get(base) ?? 0;
        used.set(base, n + 1);
        const id = n === 0 ? base : `${base}-${n}`;
        headings.push({ depth, id, text: unescapeEntities(text) });
        return `<h${depth} id="${escapeHtml(id)}">${inner}<a class="anchor" href="#${escapeHtml(id)}" aria-label="Link to this section">#</a></h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        if (!href) return `<span class="repo-file"${title ? ` title="${escapeHtml(title)}"` : ''}>${inner}</span>`;
        return `<a href="${escapeHtml(href)}"${title ? ` title="${escapeHtml(title)}"` : ''}>${inner}</a>`;
      },
      html({ text }) {
        const sample = SAMPLE_MARKER.exec(text.trim());
        if (sample) return `<p class="sample-note">Tested sample <code>${escapeHtml(sample[1]!)}</code>: CI runs this block against a live server.</p>\n`;
        return false;
      },
    },
  });
  const html = marked.parse(markdown) as string;
  return { html, headings };
}

function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

interface SiteInfo { restVersion: string; wsVersion: string; groups: { title: string; guides: Guide[] }[] }

function page(opts: { title: string; body: string; site: SiteInfo; current?: string }): string {
  const nav = opts.site.groups
    .map(
      (g) =>
        `<h2>${escapeHtml(g.title)}</h2><ul>${g.guides
          .map((guide) => `<li><a href="${guideUrl(guide.slug)}"${guide.slug === opts.current ? ' aria-current="page"' : ''}>${escapeHtml(guide.title)}</a></li>`)
          .join('')}</ul>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DOCS_BASE}/style.css">
</head>
<body>
<header class="top"><a class="brand" href="${DOCS_BASE}">Trading API docs</a><nav><a href="${guideUrl('quickstart')}">Quickstart</a><a href="${DOCS_BASE}/rest">REST reference</a><a href="${DOCS_BASE}/websocket">WebSocket reference</a><a href="${guideUrl('fix-rules-of-engagement')}">FIX</a><a href="${guideUrl('changelog')}">Changelog</a></nav></header>
<div class="layout">
<aside class="sidebar">
${nav}
</aside>
<main>
${opts.body}
</main>
</div>
</body>
</html>
`;
}

interface SpecOperation { method: string; path: string; operationId: string; summary: string; tag: string }

function specOperations(spec: { paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>> }): SpecOperation[] {
  const ops: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !op.operationId) continue;
      ops.push({ method: method.toUpperCase(), path, operationId: op.operationId, summary: op.summary ?? '', tag: op.tags?.[0] ?? 'Other' });
    }
  }
  return ops;
}

function landingBody(site: SiteInfo, operations: SpecOperation[]): string {
  const cards = [
    { href: guideUrl('quickstart'), title: 'Quickstart', text: 'Your first signed request in five minutes: curl, the TypeScript SDK, or Python.' },
    { href: `${DOCS_BASE}/rest`, title: `REST reference <small>v${escapeHtml(site.restVersion)}</small>`, text: 'Every operation, parameter, schema and error of <code>/v1</code>, from the OpenAPI contract.' },
    { href: `${DOCS_BASE}/websocket`, title: `WebSocket reference <small>v${escapeHtml(site.wsVersion)}</small>`, text: 'Market-data and private streams, order entry over <code>/v1/ws</code>, from the AsyncAPI contract.' },
    { href: guideUrl('fix-rules-of-engagement'), title: 'FIX 4.4', text: 'Session settings, logon, the messages we accept and send, and how sequence gaps are handled.' },
  ];
  const cardHtml = cards.map((c) => `<a class="card" href="${c.href}"><h3>${c.title}</h3><p>${c.text}</p></a>`).join('\n');
  const guides = site.groups
    .map((g) => `<section><h3>${escapeHtml(g.title)}</h3><ul>${g.guides.map((guide) => `<li><a href="${guideUrl(guide.slug)}">${escapeHtml(guide.title)}</a></li>`).join('')}</ul></section>`)
    .join('\n');
  const byTag = new Map<string, SpecOperation[]>();
  for (const op of operations) byTag.set(op.tag, [...(byTag.get(op.tag) ?? []), op]);
  const index = [...byTag.entries()]
    .map(
      ([tag, ops]) =>
        `<tbody><tr><th colspan="3">${escapeHtml(tag)}</th></tr>${ops
          .map((op) => `<tr><td><code>${op.method} ${escapeHtml(op.path)}</code></td><td><a href="${DOCS_BASE}/rest#operation/${encodeURIComponent(op.operationId)}"><code>${escapeHtml(op.operationId)}</code></a></td><td>${escapeHtml(op.summary)}</td></tr>`)
          .join('')}</tbody>`,
    )
    .join('\n');
  return `<h1>Trading API documentation</h1>
<p class="lead">One trading venue, three doors: <strong>REST</strong> for orders and account data, <strong>WebSocket</strong> for live books and private streams, <strong>FIX 4.4</strong> for order entry at scale. All three share one authentication scheme, one set of error codes and one order-rate budget.</p>
<div class="cards">
${cardHtml}
</div>
<h2 id="guides">Guides</h2>
<div class="guide-groups">
${guides}
</div>
<h2 id="contract">The contract</h2>
<p>The machine-readable contracts are served beside these pages: <a href="/openapi.json"><code>/openapi.json</code></a> and <a href="/openapi.yaml"><code>/openapi.yaml</code></a> (REST, OpenAPI 3.1). Generate a client from them, or use the TypeScript SDK from the quickstart.</p>
<h2 id="operations">REST operations</h2>
<table class="operations">
<thead><tr><th>method and path</th><th>operation</th><th>summary</th></tr></thead>
${index}
</table>`;
}

export const STYLESHEET = `:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg-soft:#f6f8fa;--accent:#0b5cad;--band:#0d2538}
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
a{color:var(--accent)}
header.top{display:flex;align-items:center;gap:24px;background:var(--band);padding:12px 24px;flex-wrap:wrap}
header.top a{color:#dbe9f6;text-decoration:none}
header.top a.brand{color:#fff;font-weight:600;font-size:18px}
header.top nav{display:flex;gap:18px;flex-wrap:wrap}
.layout{display:flex;max-width:1280px;margin:0 auto}
aside.sidebar{flex:0 0 240px;padding:20px 16px;border-right:1px solid var(--line);font-size:14px}
aside.sidebar h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:18px 0 6px}
aside.sidebar ul{list-style:none;margin:0;padding:0}
aside.sidebar li{margin:3px 0}
aside.sidebar a{text-decoration:none}
aside.sidebar a[aria-current=page]{font-weight:600;color:var(--fg)}
main{flex:1;min-width:0;padding:24px 40px 64px;max-width:980px}
h1{font-size:30px;line-height:1.25;margin:8px 0 12px}
h2{font-size:22px;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:36px}
h3{font-size:18px;margin-top:28px}
h1 a.anchor,h2 a.anchor,h3 a.anchor,h4 a.anchor{visibility:hidden;margin-left:8px;text-decoration:none;color:var(--muted)}
h1:hover a.anchor,h2:hover a.anchor,h3:hover a.anchor,h4:hover a.anchor{visibility:visible}
code{font:14px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg-soft);padding:1px 4px;border-radius:4px}
pre{background:var(--bg-soft);border:1px solid var(--line);border-radius:6px;padding:12px 14px;overflow:auto;line-height:1.45}
pre code{background:none;padding:0;font-size:13px}
table{border-collapse:collapse;margin:12px 0 20px;font-size:14px;display:block;overflow-x:auto}
th,td{border:1px solid var(--line);padding:5px 10px;text-align:left;vertical-align:top}
th{background:var(--bg-soft)}
blockquote{margin:0;padding:0 16px;border-left:4px solid var(--line);color:var(--muted)}
p.lead{font-size:18px;color:#30363d}
p.sample-note{margin:16px 0 -10px;font-size:12px;color:var(--muted)}
p.sample-note code{font-size:12px}
span.repo-file{border-bottom:1px dotted var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:14px;margin:20px 0}
a.card{display:block;border:1px solid var(--line);border-radius:8px;padding:14px 16px;text-decoration:none;color:var(--fg)}
a.card:hover{border-color:var(--accent);box-shadow:0 1px 4px rgba(0,0,0,.08)}
a.card h3{margin:0 0 6px;color:var(--accent)}
a.card h3 small{font-weight:normal;color:var(--muted);font-size:13px}
a.card p{margin:0;font-size:14px;color:var(--muted)}
.guide-groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:8px 24px}
.guide-groups h3{margin:10px 0 4px;font-size:15px}
.guide-groups ul{margin:0;padding-left:18px}
table.operations tbody th{background:#eef3f8}
@media (max-width:800px){.layout{display:block}aside.sidebar{border-right:none;border-bottom:1px solid var(--line)}main{padding:16px}}
`;

/** Renders the whole site into generated/docs/ (the references beside it are left alone). */
export function writeDocsSite(root: string): void {
  const outDir = join(root, 'generated/docs');
  const guidesDir = join(outDir, 'guides');
  const guides = loadSiteGuides(root);
  const slugs = new Set(guides.map((g) => g.slug));
  const rest = JSON.parse(readFileSync(join(root, 'generated/openapi.json'), 'utf8')) as Parameters<typeof specOperations>[0] & { info: { version: string } };
  const ws = JSON.parse(readFileSync(join(root, 'generated/asyncapi.json'), 'utf8')) as { info: { version: string } };
  const site: SiteInfo = { restVersion: rest.info.version, wsVersion: ws.info.version, groups: groupGuides(guides) };

  // A guide deleted from docs/ must disappear from the site too.
  rmSync(guidesDir, { recursive: true, force: true });
  mkdirSync(guidesDir, { recursive: true });
  for (const guide of guides) {
    const { html } = renderMarkdown(guide.markdown, slugs);
    writeFileSync(join(guidesDir, `${guide.slug}.html`), page({ title: `${guide.title} — Trading API docs`, body: html, site, current: guide.slug }));
  }
  writeFileSync(join(outDir, 'index.html'), page({ title: 'Trading API docs', body: landingBody(site, specOperations(rest)), site }));
  writeFileSync(join(outDir, 'style.css'), STYLESHEET);
}
